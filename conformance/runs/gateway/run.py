"""Run the suite from Python: `run_suite(...) -> ResultDocument`.

The CLI is a thin layer over this; the project's tests (and the mutant
proof) call it directly, e.g.::

    doc = run_suite(gateway_cmd="python -m conformance gateway --implementation tests.mutants.x:Gateway "
                                "--port {port} --deployment mock={container_url}",
                    select=["GW-ASYNC"])
    assert doc.requirement("GW-ASYNC-03").outcome.value == "failed"

pytest runs in-process with an isolated configuration (the package's own
`suite/pytest.ini`), so the calling project's pytest settings never apply.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from conformance.checks.instrument import replica_message
from conformance.http.origins import OriginError, parse_allowed
from conformance.judge.config import (
    DEFAULT_DELAY,
    DEFAULT_LONG_POLL,
    DEFAULT_N,
    DEFAULT_PARALLEL,
    DEFAULT_READY_TIMEOUT,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_T_ACCEPT,
    SuiteConfig,
)
from conformance.runs.gateway.preflight import Progress, TargetError, preflight
from conformance.judge.model import CheckRecord, ResultDocument
from conformance.judge.selection import Selection, SelectionError, load_expected_failures
from conformance.runs.gateway.targets import Target, start_target

__all__ = ["run_suite", "SuiteError", "TargetError", "SelectionError", "pytest_args", "isolated_args", "Listener"]

#: the isolated ini pytest is pointed at (runs/isolated/README.md says why)
SUITE_DIR = Path(__file__).parents[1] / "isolated"


class SuiteError(RuntimeError):
    """pytest ended before the suite produced its document (a usage or internal error)."""


class Listener:
    """A pytest plugin object that hands the engine's events to the caller."""

    def __init__(self, on_check_finished: Callable[[CheckRecord], None] | None) -> None:
        self.on_check_finished = on_check_finished
        self.document: ResultDocument | None = None
        self.collected = 0

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = len(session.items)

    def pytest_conformance_check_finished(self, record: CheckRecord) -> None:
        if self.on_check_finished is not None:
            self.on_check_finished(record)

    def pytest_conformance_finished(self, document: ResultDocument) -> None:
        self.document = document


def pytest_args(
    target: Target,
    config: SuiteConfig,
    *,
    select: Sequence[str] = (),
    levels: Sequence[str] = (),
    strict: bool = False,
    expected_failures: str | Path | None = None,
    allow_stale: bool = False,
    json_path: str | Path | None = None,
    preflight_done: bool = True,
    pytest_output: bool = False,
    ready_wait: float | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """The pytest command line of one run (isolated ini, the plugin, the run's options)."""
    args = isolated_args(pytest_output)
    args += ["--gateway", target.gateway]
    if not target.through_gateway:  # without it the plugin reaches the mock through the gateway
        args += ["--container-url", target.container_url]
    args += ["--conformance-target-mode", target.mode,
             "--conformance-delay", str(config.delay), "--conformance-t-accept", str(config.t_accept),
             "--conformance-t-done", str(config.t_done), "--conformance-n", str(config.n),
             "--conformance-request-timeout", str(config.request_timeout),
             "--conformance-parallel", str(config.parallel)]
    if target.other_gateway:
        args += ["--other-gateway", target.other_gateway]
    if target.gateway_cmd:
        args += ["--conformance-gateway-cmd", target.gateway_cmd]
    for name, value in config.headers:
        args += ["--conformance-header", f"{name}: {value}"]
    for entry in config.allow_origins:
        args += ["--conformance-allow-origin", entry]
    for prefix in select:
        args += ["--conformance-select", prefix]
    for level in levels:
        args += ["--conformance-level", level]
    if strict:
        args.append("--conformance-strict")
    if expected_failures:
        args += ["--conformance-expected-failures", str(expected_failures)]
    if allow_stale:
        args.append("--conformance-allow-stale")
    if json_path:
        args += ["--conformance-json", str(json_path)]
    if config.seed is not None:
        args += ["--conformance-seed", str(config.seed)]
    if config.examples is not None:
        args += ["--conformance-examples", str(config.examples)]
    if config.explore:
        args.append("--conformance-explore")
    if config.hypothesis_db:
        args += ["--conformance-hypothesis-db", str(config.hypothesis_db)]
    if config.journal_since is not None:
        args += ["--conformance-journal-since", str(config.journal_since)]
    if config.sink_since is not None:
        args += ["--conformance-sink-since", str(config.sink_since)]
    if config.mock_instance is not None:
        args += ["--conformance-mock-instance", config.mock_instance]
    if config.mock_sink is not None:
        args += ["--conformance-mock-sink", config.mock_sink]
    if config.long_poll is not None:
        args += ["--conformance-long-poll", str(config.long_poll)]
    if ready_wait is not None:
        args += ["--conformance-ready-wait", str(ready_wait)]
    if config.round_trip:
        args += ["--conformance-round-trip", str(config.round_trip)]
    if preflight_done:
        args.append("--conformance-no-preflight")
    return args + list(extra)


def isolated_args(pytest_output: bool = False) -> list[str]:
    """pytest with the package's own ini and only the conformance plugin (shared by gateway and container runs)."""
    args = ["-c", str(SUITE_DIR / "pytest.ini"), "--rootdir", str(SUITE_DIR), str(SUITE_DIR),
            "--disable-plugin-autoload", "-p", "conformance.runs.plugin", "-p", "no:cacheprovider", "-p", "no:faulthandler", "-s"]
    return args + (["-v", "-rfEsxX", "--conformance-no-summary"] if pytest_output else ["-p", "no:terminal"])


def run_suite(
    *,
    gateway: str | None = None,
    container_url: str | None = None,
    gateway_cmd: str | None = None,
    other_gateway: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
    allow_origins: Iterable[str] = (),
    delay: float = DEFAULT_DELAY,
    t_accept: float = DEFAULT_T_ACCEPT,
    t_done: float | None = None,
    n: int = DEFAULT_N,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    parallel: int = DEFAULT_PARALLEL,
    select: Sequence[str] = (),
    levels: Sequence[str] = (),
    strict: bool = False,
    expected_failures: str | Path | dict[str, str] | None = None,
    allow_stale: bool = False,
    json_path: str | Path | None = None,
    seed: int | None = None,
    examples: int | None = None,
    explore: bool = False,
    hypothesis_db: str | Path | None = None,
    on_check_finished: Callable[[CheckRecord], None] | None = None,
    on_target: Callable[[Target], Any] | None = None,
    pytest_output: bool = False,
    ready_timeout: float = DEFAULT_READY_TIMEOUT,
    long_poll: float | None = DEFAULT_LONG_POLL,
    on_progress: Progress | None = None,
) -> ResultDocument:
    """Run the suite against a target and return its result document.

    Target, as on the command line: `gateway` + `container_url` (a running
    gateway routed to a running mock); `gateway_cmd` (start the mock, then
    this command with `{port}` and `{container_url}` filled in; `gateway`
    defaults to `http://127.0.0.1:{port}/mock`); or neither (the mock and the
    reference gateway, deployments `mock` and `other`). `gateway` without
    `container_url`: the mock is reached through the gateway (a hosted
    deployment), with `headers`; the run first waits up to `ready_timeout`
    for it (`on_progress` hears how it goes), and cuts every wait on the
    mock into long-polls of at most `long_poll` seconds. `allow_origins`:
    other origins a StatusPath or ResultPath may lead to
    (conformance.http.origins).

    Raises TargetError (nothing to test at the given place, not routed to
    the mock, or several mock replicas answering), SelectionError (bad
    -k/--level/expected-failures/allow_origins), SuiteError.
    """
    Selection.make(select, levels)  # fail fast, before anything starts
    xfail_file = None
    if isinstance(expected_failures, dict):
        xfail_file = tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="conformance-xfail-", delete=False)
        xfail_file.write("".join(f"{rid} {reason}\n" for rid, reason in expected_failures.items()))
        xfail_file.close()
        expected_failures = xfail_file.name
    elif expected_failures is not None:
        from conformance.checks import all_checks

        load_expected_failures(expected_failures).validate(kind="gateway", checks=[c.name for c in all_checks()])
    headers = tuple(headers)
    try:
        allowed = tuple(str(parse_allowed(entry)) for entry in allow_origins)
    except OriginError as exc:
        raise SelectionError(str(exc)) from None
    done = t_done if t_done is not None else delay + 5.0
    try:
        with start_target(gateway=gateway, container_url=container_url, gateway_cmd=gateway_cmd,
                          other_gateway=other_gateway, container_timeout=delay + (done - delay) / 2) as target:
            if on_target is not None:
                on_target(target)
            config = SuiteConfig(gateway=target.gateway, container_url=target.container_url,
                                 other_gateway=target.other_gateway, headers=headers, allow_origins=allowed,
                                 delay=delay, t_accept=t_accept,
                                 t_done_override=t_done, n=n, request_timeout=request_timeout, parallel=parallel, seed=seed,
                                 examples=examples, explore=explore,
                                 hypothesis_db=str(hypothesis_db) if hypothesis_db else None,
                                 mock_access=target.mock_access,
                                 long_poll=long_poll if target.through_gateway else None)
            positions = preflight(config, ready_timeout=ready_timeout, on_progress=on_progress)
            config = positions.apply(config)
            listener = Listener(on_check_finished)
            args = pytest_args(target, config, select=select, levels=levels, strict=strict,
                               expected_failures=expected_failures, allow_stale=allow_stale, json_path=json_path,
                               pytest_output=pytest_output, ready_wait=positions.ready_wait)
            code = pytest.main(args, plugins=[listener])
    finally:
        if xfail_file is not None:
            Path(xfail_file.name).unlink(missing_ok=True)
    if listener.document is None:
        if code == 2 or code == pytest.ExitCode.USAGE_ERROR:
            raise SuiteError(f"pytest stopped with exit code {int(code)} before the suite ran (see its message above)")
        raise SuiteError(f"pytest ended with exit code {int(code)} and no result document")
    instances = listener.document.target.mock_instances
    if len(instances) > 1:  # some checks read one journal, some another: no verdict stands on that
        target_info = listener.document.target
        raise TargetError(replica_message(len(instances), target_info.through_gateway, target_info.container_url))
    return listener.document
