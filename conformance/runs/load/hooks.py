"""Locust event wiring: settings in, tallies from workers to the master, judgement at the end.

Lifecycle of a run (the same whether Locust was started by `conformance load`
or directly with `locust -f conformance/runs/load/locustfile.py`):

- init: every process learns its role; the master / local process parses the
  `--conformance-*` options (Locust then forwards them to workers with each
  spawn message) and bounds the run time.
- test_start: workers take the settings the master sent and start an empty
  tally; the master / local process checks that the gateway and the mocks
  answer and starts reading the journals once a second.
- test_stopping (master): asks every worker to stop its users and send its
  tally, and waits for all of them (bounded), so nothing a worker recorded
  is lost to Locust's quit sequence.
- quitting (master / local): settles in-flight work, judges, writes the
  JSON report and sets the process exit code; quit prints the summary after
  Locust's own tables.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import gevent
import httpx
from gevent.event import Event
from locust import events
from locust.runners import STATE_CLEANUP, STATE_INIT, STATE_MISSING, STATE_STOPPED, STATE_STOPPING, MasterRunner, WorkerRunner

from conformance.checks.instrument import replica_message
from conformance.runs.load.journal import JournalError, JournalTail, MockReader
from conformance.runs.load.tally import Tally, merge
from conformance.runs.load.monitor import InstrumentMonitor
from conformance.judge.model import ResultDocument
from conformance.runs.load.report import CANNOT_JUDGE, build_document, console_summary, write_json
from conformance.runs.load.settings import (
    LoadSettings,
    SettingsError,
    add_arguments,
    from_options,
    headers_from_env,
    is_loopback_url,
)
from mock_container.client import API_VERSION, MockClient, MockError
from conformance.runs.load.settle import settle
from conformance.runs.load.state import Role, RunState, attach, run_state
from conformance.runs.load.verdicts import Evidence, judge

__all__ = ["install", "LEDGER_MESSAGE", "FLUSH_MESSAGE", "DEFAULT_RUN_TIME"]

log = logging.getLogger("conformance.runs.load")

LEDGER_MESSAGE = "conformance-tally"
FLUSH_MESSAGE = "conformance-flush"
#: Seconds the master waits for worker tallies beyond the users' stop timeout.
LEDGER_WAIT = 60.0
#: A headless run with no --run-time still ends (the run is bounded in time).
DEFAULT_RUN_TIME = 60
POLL_INTERVAL = 1.0
#: `GET /_mock/info` asked this many times through a gateway before the load: one instance must answer
#: (the same probe as `conformance run`'s pre-flight)
REPLICA_PROBES = 8

_installed = False
_tallies_in = Event()
#: the judging process's console summary, printed by on_quit (Locust's quit event carries no environment)
_summary: str | None = None


def install() -> None:
    """Register the listeners once per process (the locustfile may be imported twice)."""
    global _installed
    if _installed:
        return
    _installed = True
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per instrument request is noise
    events.init_command_line_parser.add_listener(lambda parser, **_: add_arguments(parser))
    events.init.add_listener(on_init)
    events.test_start.add_listener(on_test_start)
    events.test_stopping.add_listener(on_test_stopping)
    events.test_stop.add_listener(on_test_stop)
    events.quitting.add_listener(on_quitting)
    events.quit.add_listener(on_quit)


# -- init ----------------------------------------------------------------------------------

def on_init(environment: Any, runner: Any = None, **_: Any) -> None:
    if isinstance(runner, WorkerRunner):
        # a worker that joins too late for any spawn still answers the master, with an empty tally
        attach(environment, RunState(Role.WORKER, tally=Tally(sources={runner.client_id: 0})))
        runner.register_message(FLUSH_MESSAGE, _on_flush, concurrent=True)
        return
    role = Role.MASTER if isinstance(runner, MasterRunner) else Role.LOCAL
    state = attach(environment, RunState(role))
    options = environment.parsed_options
    try:
        # credentials from the environment join the options, which the master hands to its workers
        options.conformance_header = list(options.conformance_header or []) + headers_from_env()
        state.settings = from_options(options)  # a header not of the form `Name: value` is a SettingsError
        _check_targets(environment.host, state.settings.container_urls, bool(options.conformance_allow_remote))
        _meet_mocks(state.settings)
    except SettingsError as exc:
        log.error("conformance load: %s", exc)
        sys.exit(CANNOT_JUDGE)
    if getattr(options, "headless", False) and not getattr(options, "run_time", None):
        options.run_time = DEFAULT_RUN_TIME
        log.info("conformance load: no --run-time given, the run ends after %d s", DEFAULT_RUN_TIME)
    if role is Role.MASTER:
        runner.register_message(LEDGER_MESSAGE, _on_tally)


def _check_targets(host: str | None, container_urls: tuple[str, ...], allow_remote: bool) -> None:
    if not host:
        raise SettingsError("no gateway: give --host {base}/{deployment} (the gateway's inference base)")
    if allow_remote:
        return
    for name, url in [("gateway", host), *(("container-url", u) for u in container_urls)]:
        if not is_loopback_url(url):
            raise SettingsError(f"{name} {url} is not a loopback address; load goes to loopback targets unless "
                                "--conformance-allow-remote (conformance load: --allow-remote) is given")


def _readers(settings: LoadSettings, client: httpx.Client) -> list[MockReader]:
    """Every mock the run counts on, through the one client of the mock's control API."""
    return [MockReader(MockClient(client, url, dict(settings.mock_headers)), url, settings.through_gateway,
                       settings.long_poll) for url in settings.container_urls]


def _meet_mocks(settings: LoadSettings) -> None:
    """Before any load: every mock answers its control API in this kit's version, and through a
    gateway exactly one instance answers."""
    with httpx.Client(timeout=10.0, trust_env=False) as client:
        for reader in _readers(settings, client):
            try:
                infos = [reader.client.info(check_api=False)
                         for _ in range(REPLICA_PROBES if settings.through_gateway else 1)]
            except MockError as exc:
                raise SettingsError(f"the mock container at {reader.label} cannot be used: {exc}") from None
            if infos[0].api != API_VERSION:
                raise SettingsError(f"the mock container at {reader.label} speaks control API {infos[0].api}; this "
                                    f"kit speaks {API_VERSION}: run the mock container of this kit's version")
            instances = {info.instance for info in infos}
            if len(instances) > 1:
                raise SettingsError(replica_message(len(instances), settings.through_gateway, reader.label))


# -- start ---------------------------------------------------------------------------------

def on_test_start(environment: Any, **_: Any) -> None:
    state = run_state(environment)
    if state.role is Role.WORKER:
        state.settings = from_options(environment.parsed_options)  # as the master sent them
        state.tally = Tally(sources={environment.runner.client_id: 0})
        state.sent_wire = None
        return
    assert state.settings is not None
    state.tally = Tally(sources={"local": 0} if state.role is Role.LOCAL else {})
    state.worker_tallies.clear()
    _tallies_in.clear()
    state.started_at = time.time()
    # trust_env=False: the run's headers never leave through a proxy named in the environment
    state.client = httpx.Client(timeout=10.0, trust_env=False)
    state.tail = JournalTail(_readers(state.settings, state.client), state.settings.run_id)
    problem = _unreachable(environment.host, state)
    if problem:
        log.error("conformance load: %s", problem)
        state.abort = problem
        environment.process_exit_code = CANNOT_JUDGE
        gevent.spawn(environment.runner.quit)
        return
    # through the gateway the mock's process is not the listener at the gateway's port: watch none
    mocks = () if state.settings.through_gateway else state.settings.container_urls
    state.monitor = InstrumentMonitor(mocks, environment.host)
    state.poller = gevent.spawn(_poll_loop, state)


def _unreachable(gateway: str, state: RunState) -> str | None:
    """Any HTTP answer means reachable; the mocks' control API must answer as the mock's (their positions)."""
    try:
        state.client.get(gateway, headers=dict(state.settings.headers))
    except httpx.HTTPError as exc:
        return f"the gateway {gateway} is unreachable: {type(exc).__name__}: {exc}"
    try:
        state.tail.start()
    except JournalError as exc:
        return f"the mock container is unreachable or not a mock container: {exc}"
    return state.tail.replicas


def _poll_loop(state: RunState) -> None:
    """Count journal entries as they come, so a bounded journal ring never evicts them uncounted."""
    while True:
        gevent.sleep(POLL_INTERVAL)
        state.monitor.sample()
        try:
            state.tail.poll()
        except Exception as exc:  # noqa: BLE001 - a failed read is retried next second; the report names it
            if not isinstance(exc, JournalError):
                log.exception("conformance load: reading the journal failed")
            if len(state.instrument_errors) < 10:
                state.instrument_errors.append(f"{type(exc).__name__}: {exc}")


# -- stop ----------------------------------------------------------------------------------

def on_test_stopping(environment: Any, **_: Any) -> None:
    state = run_state(environment)
    if state.role is not Role.MASTER:
        return
    runner = environment.runner
    # every worker that took part, missing ones included: one that died mid-run sent requests no tally
    # accounts for, so the run cannot be judged without it (exit 2), never blamed on the gateway
    state.expected_workers = {c.id for c in runner.clients.all}
    alive = _alive_workers(runner)
    if alive and not set(state.worker_tallies) >= alive:
        runner.send_message(FLUSH_MESSAGE, None)
        _tallies_in.wait(timeout=(environment.stop_timeout or 0) + LEDGER_WAIT)


def _alive_workers(runner: Any) -> set[str]:
    return {c.id for c in runner.clients.all if c.state != STATE_MISSING}


def _on_flush(environment: Any, msg: Any, **_: Any) -> None:
    """Worker: the master is stopping; stop the users and send the tally."""
    runner = environment.runner
    if runner.state not in (STATE_INIT, STATE_STOPPED, STATE_STOPPING, STATE_CLEANUP):
        runner.stop()  # fires test_stop, which sends the tally
    _send_tally(environment)


def _on_tally(environment: Any, msg: Any, **_: Any) -> None:
    state = run_state(environment)
    state.worker_tallies[msg.node_id] = Tally.from_wire(msg.data, received_at=time.time())
    if state.expected_workers and set(state.worker_tallies) >= _alive_workers(environment.runner):
        _tallies_in.set()  # a missing worker's tally will not come: waiting for it only delays the verdict


def _send_tally(environment: Any) -> None:
    state = run_state(environment)
    if state.sent_wire is None:
        state.sent_wire = state.tally.to_wire()
        environment.runner.send_message(LEDGER_MESSAGE, state.sent_wire)


def on_test_stop(environment: Any, **_: Any) -> None:
    state = run_state(environment)
    if state.role is Role.WORKER:
        _send_tally(environment)
    elif state.stopped_at is None:
        state.stopped_at = time.time()


# -- judgement -------------------------------------------------------------------------------

def on_quitting(environment: Any, **_: Any) -> None:
    global _summary
    state = run_state(environment)
    _judge_once(environment, state)
    _summary = state.summary


def _judge_once(environment: Any, state: RunState) -> None:
    if state.role is Role.WORKER or state.judged:
        return
    state.judged = True
    runner = environment.runner
    if runner.state not in (STATE_INIT, STATE_STOPPED, STATE_STOPPING, STATE_CLEANUP):
        runner.stop()  # Ctrl-C or SIGTERM: stop users (and collect worker tallies) before judging
    if getattr(state, "poller", None) is not None:
        state.poller.kill(block=True)
    if state.abort or state.started_at is None:
        state.summary = f"conformance load: not judged: {state.abort or 'the load never started'}"
        environment.process_exit_code = CANNOT_JUDGE
        return
    try:
        document = _judge(environment, state)
    except (JournalError, NotJudged) as exc:
        why = f"the mock container stopped answering: {exc}" if isinstance(exc, JournalError) else str(exc)
        state.summary = f"conformance load: not judged: {why}"
        environment.process_exit_code = CANNOT_JUDGE
        return
    finally:
        state.client.close()
    if state.settings.json_path:
        write_json(document, state.settings.json_path)
    state.summary = console_summary(document)
    environment.process_exit_code = document.summary.exit_code


class NotJudged(Exception):
    """The evidence is incomplete in a way no verdict can account for."""


def _judge(environment: Any, state: RunState) -> ResultDocument:
    settings = state.settings
    stopped = state.stopped_at or time.time()
    if state.role is Role.LOCAL:
        tally = merge([state.tally])
    else:
        missing = sorted(state.expected_workers - set(state.worker_tallies))
        if missing:  # its submissions would look like bodies nobody sent, its results unread
            raise NotJudged(f"no tally arrived from worker(s) {', '.join(missing)}")
        if not state.worker_tallies:
            raise NotJudged("no worker took part in the run")
        tally = merge(list(state.worker_tallies.values()))
    if state.tail.replicas:
        raise NotJudged(state.tail.replicas)
    settled = settle(tally, state.tail, settings, state.client, gateway=environment.host or "")
    if state.tail.replicas:
        raise NotJudged(state.tail.replicas)
    evidence = Evidence(
        tally=tally,
        settings=settings,
        deliveries=state.tail.counts,
        duration=max(stopped - state.started_at, 1e-9),
        journal_gaps=list(state.tail.gaps),
        rejected=state.tail.rejected,
        webhooks=settled.webhooks,
        webhooks_unnamed=settled.webhooks_unnamed,
        tasks_forgotten=settled.tasks_forgotten,
        peak_rates=state.tail.peak_rate(),
        cpu=state.monitor.summary(),
        settle_seconds=settled.seconds,
        instrument=_instrument_notes(environment, state),
        locust_files=_locust_files(environment.parsed_options),
    )
    verdicts = judge(evidence)
    options = environment.parsed_options
    return build_document(
        verdicts,
        settings,
        gateway=environment.host,
        target_mode=getattr(options, "conformance_target_mode", "") or "url",
        started=state.started_at,
        duration=stopped - state.started_at,
        users=getattr(options, "num_users", None) or 1,
        run={
            "users": getattr(options, "num_users", None),
            "spawn_rate": getattr(options, "spawn_rate", None),
            "run_time": getattr(options, "run_time", None),
            "workers": len(state.worker_tallies) if state.role is Role.MASTER else 0,
        },
    )


def _instrument_notes(environment: Any, state: RunState) -> list[str]:
    runner = environment.runner
    notes = list(state.monitor.notes())
    if getattr(runner, "cpu_warning_emitted", False) and not any("load generator" in n for n in notes):
        notes.append("this load process used over 90% CPU at times (Locust's warning): latencies include the load "
                     "generator's own delay (add workers, see the README)")
    if getattr(runner, "worker_cpu_warning_emitted", False):
        notes.append("a Locust worker used over 90% CPU: latencies include the load generator's own delay "
                     "(add workers)")
    notes.extend(f"journal read failed during the run: {error}" for error in state.instrument_errors[:3])
    return notes


def _locust_files(options: Any) -> list[str]:
    files = []
    prefix = getattr(options, "csv_prefix", None)
    if prefix:
        files.append(f"{prefix}_stats.csv")
    html = getattr(options, "html_file", None)
    if html:
        files.append(html)
    return files


def on_quit(exit_code: int = 0, **_: Any) -> None:
    """After Locust printed its tables: the verdicts, last thing on the console."""
    global _summary
    if _summary:
        print(_summary, flush=True)
        _summary = None
