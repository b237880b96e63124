"""The pytest plugin: one test item per check, all checks running at once.

Inert unless `--gateway` is given, so it can stay installed (entry point
`pytest11`) in any project's pytest. With it::

    pytest -p conformance.runs.plugin --gateway http://gw/mock --container-url http://127.0.0.1:8000

(without `--container-url` the mock container is reached through the
gateway, `{gateway}/_mock/...` with the `--conformance-header`s: a hosted
deployment whose container has no other address)

collects one `CheckItem` per registered check (named with its IDs, so
`-k GW-ASYNC` and `--junitxml` work as usual). When the test loop starts,
the engine runs every selected check concurrently in a background thread;
each item then waits for its own check's record and passes, fails, skips
or xfails (a SHOULD failure without `--conformance-strict`, or a listed
expected failure) accordingly. At the end the result document is built,
written with `--conformance-json FILE`, and handed to the
`pytest_conformance_finished` hook.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance.contract import catalogue
from conformance.checks import Check, all_checks
from conformance.judge.config import (
    DEFAULT_DELAY,
    DEFAULT_LONG_POLL,
    DEFAULT_N,
    DEFAULT_READY_TIMEOUT,
    DEFAULT_PARALLEL,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_T_ACCEPT,
    DIRECT,
    THROUGH_GATEWAY,
    SuiteConfig,
    parse_header,
)
from conformance.runs.engine import Engine
from conformance.runs.gateway.preflight import TargetError, preflight
from conformance.judge.model import CheckRecord, IdVerdict, Outcome, ResultDocument, TargetInfo
from conformance.judge.document import build_document, run_secrets
from conformance.http.origins import parse_allowed
from conformance.http.redact import redact_url, scrub, scrub_text
from conformance.reports.unseen import terminal_safe
from conformance.reports.curl import add_reproductions
from conformance.judge.selection import ExpectedFailures, Selection, SelectionError, as_expected, load_expected_failures

__all__ = ["CheckItem", "SuiteState", "STATE"]


@dataclass
class SuiteState:
    config: SuiteConfig
    selection: Selection
    strict: bool
    expected: ExpectedFailures | dict[str, str]
    target: TargetInfo
    json_path: Path | None
    run_preflight: bool
    engine: Engine | None = None
    started_at: dt.datetime | None = None
    started: float = 0.0
    document: ResultDocument | None = None
    items: list["CheckItem"] = field(default_factory=list)
    #: builds each check's context; None: the gateway checks' (a container run sets its own)
    make_context: Any = None


STATE = pytest.StashKey[SuiteState]()


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from conformance.runs import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "async inference gateway conformance (active only with --gateway)")
    group.addoption("--gateway", default=None, metavar="URL", help="inference base {base}/{deployment} of the gateway under test")
    group.addoption("--container-url", default=None, metavar="URL",
                    help="the mock container the deployment is routed to (default: reached through the gateway, "
                    "{gateway}/_mock/..., as on a hosted gateway)")
    group.addoption("--other-gateway", default=None, metavar="URL",
                    help="inference base of a second deployment routed to the same mock (GW-SEC-01)")
    group.addoption("--conformance-header", action="append", default=[], metavar="'NAME: VALUE'",
                    help="extra header on every gateway request (repeatable), e.g. 'Authorization: Bearer KEY'")
    group.addoption("--conformance-allow-origin", action="append", default=[], metavar="HOST",
                    help="another origin a StatusPath or ResultPath may lead to: HOST, HOST:PORT or SCHEME://HOST[:PORT] "
                    "(repeatable); followed without the --conformance-header values")
    group.addoption("--conformance-delay", type=float, default=DEFAULT_DELAY, metavar="D", help="container processing time D (s)")
    group.addoption("--conformance-t-accept", type=float, default=DEFAULT_T_ACCEPT, metavar="S", help="T_accept (s)")
    group.addoption("--conformance-t-done", type=float, default=None, metavar="S", help="T_done (s), default D + 5")
    group.addoption("--conformance-n", type=int, default=DEFAULT_N, metavar="N", help="concurrent requests in load and isolation checks")
    group.addoption("--conformance-request-timeout", type=float, default=DEFAULT_REQUEST_TIMEOUT, metavar="S",
                    help="timeout of each HTTP request (s)")
    group.addoption("--conformance-parallel", type=int, default=DEFAULT_PARALLEL, metavar="K", help="checks running at once")
    group.addoption("--conformance-select", action="append", default=[], metavar="PREFIX",
                    help="only requirement IDs starting with PREFIX (repeatable)")
    group.addoption("--conformance-level", action="append", default=[], metavar="LEVEL",
                    help="only requirements of this level: MUST, SHOULD or INFO (repeatable)")
    group.addoption("--conformance-strict", action="store_true", default=False, help="SHOULD failures fail the run")
    group.addoption("--conformance-expected-failures", default=None, metavar="FILE",
                    help="requirement IDs expected to fail, one per line with a reason (or YAML: ID: reason); "
                    "a listed ID that passes fails the run (stale) unless --conformance-allow-stale")
    group.addoption("--conformance-allow-stale", action="store_true", default=False,
                    help="a listed expected failure that passes is reported but does not fail the run")
    group.addoption("--conformance-json", default=None, metavar="FILE", help="write the JSON result document here")
    group.addoption("--conformance-seed", type=int, default=None,
                    help="hypothesis seed of the property and schema checks (default 0; random with --conformance-explore)")
    group.addoption("--conformance-examples", type=int, default=None, metavar="N",
                    help="generated examples per property check (default 30; the stateful model runs about a third as many)")
    group.addoption("--conformance-explore", action="store_true", default=False,
                    help="property checks search ten times longer from a random seed (unless --conformance-seed) "
                    "and keep failing examples in the example database")
    group.addoption("--conformance-hypothesis-db", default=None, metavar="DIR",
                    help="hypothesis's example database for --conformance-explore (default .hypothesis/conformance)")
    group.addoption("--conformance-journal-since", type=int, default=None, metavar="SEQ",
                    help="(set by `conformance run`) the mock's last journal seq before the run")
    group.addoption("--conformance-sink-since", type=int, default=None, metavar="SEQ",
                    help="(set by `conformance run`) the mock's last webhook sink seq before the run")
    group.addoption("--conformance-ready-timeout", type=float, default=DEFAULT_READY_TIMEOUT, metavar="S",
                    help="through the gateway: how long to wait for the deployment to become ready (GET {gateway}/health)")
    group.addoption("--conformance-long-poll", type=float, default=None, metavar="S",
                    help=f"through the gateway: the longest one wait request to the mock may take (default {DEFAULT_LONG_POLL:g}; "
                    "keep it under the gateway's own timeout for a silent container)")
    group.addoption("--conformance-mock-instance", default=None, help="(set by `conformance run`) the mock's instance id")
    group.addoption("--conformance-mock-sink", default=None, help="(set by `conformance run`) the mock's own sink URL")
    group.addoption("--conformance-ready-wait", type=float, default=None,
                    help="(set by `conformance run`) seconds waited for the deployment to become ready")
    group.addoption("--conformance-round-trip", type=float, default=0.0,
                    help="(set by `conformance run`) seconds of one request to the gateway and back")
    group.addoption("--conformance-no-preflight", action="store_true", default=False,
                    help="skip the reachability and routing checks before the run (the CLI already did them)")
    group.addoption("--conformance-no-summary", action="store_true", default=False,
                    help="do not print the requirement table at the end (the CLI prints its own)")
    group.addoption("--conformance-target-mode", default="url", help="(set by `conformance run`) how the target was started")
    group.addoption("--conformance-gateway-cmd", default=None, help="(set by `conformance run`) the command that started the gateway")


def _state(config: pytest.Config) -> SuiteState | None:
    return config.stash.get(STATE, None)


def pytest_configure(config: pytest.Config) -> None:
    gateway = config.getoption("gateway", None)
    if not gateway:
        return  # inert: this pytest session is not a conformance run
    option = config.getoption
    # no --container-url: the mock is reached through the gateway (a hosted deployment)
    access = DIRECT if option("container_url") else THROUGH_GATEWAY
    container_url = option("container_url") or gateway
    long_poll = option("conformance_long_poll")
    if access == THROUGH_GATEWAY and long_poll is None:
        long_poll = DEFAULT_LONG_POLL
    if long_poll is not None and not long_poll > 0:
        raise pytest.UsageError("--conformance-long-poll must be above 0")
    try:
        headers = tuple(parse_header(text) for text in option("conformance_header"))
        allow_origins = tuple(str(parse_allowed(text)) for text in option("conformance_allow_origin"))
        selection = Selection.make(option("conformance_select"), option("conformance_level"))
        expected = as_expected(None)
        if option("conformance_expected_failures"):
            expected = load_expected_failures(option("conformance_expected_failures"),
                                              allow_stale=option("conformance_allow_stale")).validate(
                kind="gateway", checks=[check.name for check in all_checks()])
    except (ValueError, SelectionError) as exc:  # OriginError is a ValueError
        raise pytest.UsageError(str(exc)) from None
    suite_config = SuiteConfig(
        gateway=gateway,
        container_url=container_url,
        other_gateway=option("other_gateway"),
        headers=headers,
        allow_origins=allow_origins,
        delay=option("conformance_delay"),
        t_accept=option("conformance_t_accept"),
        t_done_override=option("conformance_t_done"),
        n=option("conformance_n"),
        request_timeout=option("conformance_request_timeout"),
        parallel=option("conformance_parallel"),
        seed=option("conformance_seed"),
        examples=option("conformance_examples"),
        explore=option("conformance_explore"),
        hypothesis_db=option("conformance_hypothesis_db"),
        journal_since=option("conformance_journal_since"),
        sink_since=option("conformance_sink_since"),
        mock_access=access,
        mock_sink=option("conformance_mock_sink"),
        mock_instance=option("conformance_mock_instance"),
        long_poll=long_poll,
        round_trip=option("conformance_round_trip"),
    )
    if suite_config.examples is not None and suite_config.examples < 1:
        raise pytest.UsageError("--conformance-examples must be at least 1")
    target = TargetInfo(option("conformance_target_mode"), gateway, container_url, option("other_gateway"),
                        option("conformance_gateway_cmd"), mock_access=access,
                        ready_wait=option("conformance_ready_wait"),
                        round_trip=option("conformance_round_trip") or None)
    json_path = Path(option("conformance_json")) if option("conformance_json") else None
    config.stash[STATE] = SuiteState(suite_config, selection, option("conformance_strict"), expected, target, json_path,
                                     not option("conformance_no_preflight"))


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    state = _state(config)
    if state is None:
        return None
    params = ", ".join(f"{k}={v}" for k, v in state.config.parameters().items() if v is not None)
    if state.selection.kind == "container":
        return [terminal_safe(f"conformance: container {redact_url(state.target.container_url)} ({params})")]
    # the URLs may carry credentials (userinfo, ?key=): this line goes to the terminal and CI logs
    mock = ("the mock reached through the gateway" if state.config.through_gateway
            else f"mock {redact_url(state.config.container_url)}")
    return [terminal_safe(f"conformance: gateway {redact_url(state.config.gateway)} -> {mock} ({params})")]


class ConformanceSuite(pytest.Collector):
    """The parent node of every check item."""

    def collect(self) -> list[pytest.Item]:
        return []  # items are made in pytest_collection_modifyitems


class CheckFailed(Exception):
    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


class CheckItem(pytest.Item):
    """One check: waits for its record from the engine and turns it into a pytest outcome."""

    def __init__(self, *, check: Check, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check
        self.record: CheckRecord | None = None
        for rid in check.ids:
            self.extra_keyword_matches.add(rid)
        self.user_properties.append(("requirement_ids", ",".join(check.ids)))

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"{self.check.node_name}: {self.check.summary}"

    def runtest(self) -> None:
        state = _state(self.config)
        assert state is not None and state.engine is not None
        self.record = state.engine.result(self.check.name, timeout=state.engine.wait_budget())
        verdicts = [v for v in self.record.verdicts if state.selection.covers(v.id)]
        blocking, tolerated = [], []
        for verdict in verdicts:
            if verdict.outcome is not Outcome.FAILED:
                continue
            level = catalogue.get(verdict.id).level.value
            counts = level == "MUST" or (level == "SHOULD" and state.strict)
            excused = as_expected(state.expected).excuses(verdict.id, self.check.name)
            (blocking if counts and not excused else tolerated).append(verdict)
        # pytest prints these before the document (and its scrubbing) exists: scrub them here
        secrets = run_secrets(state.config)
        if blocking:
            raise CheckFailed(scrub(failure_lines(self.record, blocking), secrets))
        if tolerated:
            pytest.xfail(terminal_safe(scrub_text(
                "; ".join(f"{v.id} ({catalogue.get(v.id).level.value}) {v.reason}" for v in tolerated), secrets)))
        if verdicts and all(v.outcome is Outcome.SKIPPED for v in verdicts):
            pytest.skip(terminal_safe(scrub_text("; ".join(dict.fromkeys(v.reason for v in verdicts)), secrets)))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CheckFailed):
            # the gateway's text reaches pytest's terminal here: its escape sequences must not act on it
            return terminal_safe("\n".join(excinfo.value.lines), keep_newlines=True)
        if isinstance(excinfo.value, pytest.xfail.Exception):
            # Plain text: pytest's traceback rendering parses source with `ast`
            # while hypothesis may be compiling in the engine thread, which
            # CPython 3.11 can crash on (SystemError: AST constructor recursion).
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)


def failure_lines(record: CheckRecord, verdicts: list[IdVerdict]) -> list[str]:
    """What a gateway team reads: per failed ID, the reason, expected vs actual, and the requests involved."""
    exchanges = {e.seq: e for e in record.exchanges}
    lines = []
    for verdict in verdicts:
        level = catalogue.get(verdict.id).level.value
        for failure in verdict.failures:
            lines.append(f"{verdict.id} ({level}) failed: {failure.reason}")
            if failure.expected is not None:
                lines.append(f"    expected: {failure.expected}")
            if failure.actual is not None:
                lines.append(f"    actual:   {failure.actual}")
            for seq in failure.exchanges[:6]:
                exchange = exchanges.get(seq)
                if exchange is None:
                    continue
                answer = f"{exchange.response.status}" if exchange.response else (exchange.error or "no answer")
                lines.append(f"    #{seq} {exchange.request.method} {exchange.request.url} -> {answer}")
    if record.error:
        lines.append(record.error)
    return lines


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    state = _state(config)
    if state is None:
        return
    suite = ConformanceSuite.from_parent(session, name="conformance", nodeid="conformance")
    selected = [check for check in all_checks(state.selection.kind) if state.selection.selects(check.ids)]
    state.items = [CheckItem.from_parent(suite, name=check.node_name, check=check) for check in selected]
    items[:0] = state.items


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session):  # type: ignore[no-untyped-def]
    state = _state(session.config)
    if state is None or session.config.option.collectonly:
        return (yield)
    items = [item for item in session.items if isinstance(item, CheckItem)]
    if items and state.run_preflight:
        try:
            positions = preflight(state.config, ready_timeout=session.config.getoption("conformance_ready_timeout"),
                                  on_progress=lambda line: print(f"conformance: {line}", flush=True))
        except TargetError as exc:
            pytest.exit(f"conformance: {exc}", returncode=2)
        state.config = positions.apply(state.config)
        state.target.ready_wait, state.target.round_trip = positions.ready_wait, positions.round_trip or None
    state.started_at, state.started = dt.datetime.now(dt.timezone.utc), time.monotonic()
    hook = session.config.hook
    state.engine = Engine(state.config, [item.check for item in items],
                          on_finish=lambda record: hook.pytest_conformance_check_finished(record=record),
                          make_context=state.make_context)
    state.engine.start()
    try:
        return (yield)
    finally:
        state.engine.stop()
        state.target.mock_instances = state.engine.signals.instances.instances
        state.document = add_reproductions(build_document(
            config=state.config, target=state.target, selection=state.selection, records=state.engine.records(),
            strict=state.strict, expected_failures=state.expected, started_at=state.started_at,
            duration=time.monotonic() - state.started,
        ))
        if state.json_path is not None and not state.target.several_mocks:
            from conformance.reports.json_report import write_json

            write_json(state.document, state.json_path)
        hook.pytest_conformance_finished(document=state.document)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = _state(config)
    if state is None or state.document is None or not state.document.checks or config.getoption("conformance_no_summary"):
        return
    if state.target.several_mocks:
        from conformance.checks.instrument import replica_message

        terminalreporter.write_sep("=", "conformance: not judged")
        terminalreporter.write_line(replica_message(len(state.target.mock_instances), state.config.through_gateway,
                                                    state.config.container_url))
        return
    from conformance.reports.console import render_text

    terminalreporter.write_sep("=", "conformance")
    terminalreporter.write(render_text(state.document, width=terminalreporter._tw.fullwidth))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """pytest's own exit status says what the document says.

    Several mock instances answered: no verdict stands (exit 2, as for a
    target that cannot be tested). A stale expected failure passes every item
    but fails the run (exit 1)."""
    state = _state(session.config)
    if state is None or state.document is None:
        return
    if state.target.several_mocks or state.document.summary.exit_code == 2:
        session.exitstatus = 2
    elif state.document.summary.exit_code == 1 and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
