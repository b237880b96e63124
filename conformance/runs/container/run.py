"""Run the container checks from Python: `run_container_suite(...) -> ResultDocument`.

The same pytest run as `conformance run` (the isolated ini, the plugin's
one item per check, the engine, the result document), told apart only by
the run's kind (conformance.checks.KINDS) and the context its checks get::

    doc = run_container_suite(url="http://127.0.0.1:8000", supports={"task-id"})
    assert doc.outcomes()["CT-ASYNC-02"] == "passed"

    doc = run_container_suite(container_cmd="python app.py --port {port}", container_env=["WEBHOOK={sink_url}"],
                              path="/generate_webhook", supports={"fire-and-forget"}, through_gateway=True)

Order: check every flag (nothing starts on a usage error); start the
webhook sink (sink.py), then the container (--container-cmd) and the
gateway in front of it (--through-gateway) together; wait for the
container's health route (ready.py), then the gateway's; run the checks;
stop everything, keeping the container's last output lines in the report
when a requirement failed or the container exited during the run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from conformance.checks.container_context import Accepted, container_context, fixed_webhook_url
from conformance.judge.container_config import ContainerConfig, ContainerUsageError
from conformance.checks import all_checks
from conformance.judge.model import CheckRecord, ResultDocument, TargetInfo
from conformance.judge.selection import Selection, SelectionError, as_expected, load_expected_failures
from conformance.reports.json_report import write_json
from conformance.runs.container.launch import DEFAULT_URL, DEPLOYMENT, ContainerCommand, fill, gateway_server, parse_env
from conformance.runs.container.ready import OUTPUT_LINES, wait_ready
from conformance.runs.container.sink import MockSink
from conformance.runs.gateway.preflight import TargetError
from conformance.runs.gateway.run import Listener, SuiteError, isolated_args
from conformance.runs.launcher import ManagedServer, ServerStartError
from conformance.runs.plugin import STATE, SuiteState

__all__ = ["run_container_suite", "ContainerUsageError", "TargetError", "SelectionError", "SuiteError"]


class _Activate:
    """A pytest plugin object that hands the plugin this run's state (the gateway run reads it from options)."""

    def __init__(self, state: SuiteState) -> None:
        self.state = state

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[STATE] = self.state


def run_container_suite(
    *,
    url: str | None = None,
    container_cmd: str | None = None,
    container_env: Iterable[str] = (),
    through_gateway: bool = False,
    path: str = "/generate",
    health_path: str = "/health",
    supports: Iterable[str] = (),
    body: bytes | None = None,
    content_type: str | None = None,
    webhook_field: str | None = None,
    webhook_header: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
    t_accept: float | None = None,
    t_done: float | None = None,
    ready_timeout: float | None = None,
    request_timeout: float | None = None,
    sink_host: str = "127.0.0.1",
    sink_port: int = 0,
    sink_url: str | None = None,
    select: Sequence[str] = (),
    levels: Sequence[str] = (),
    strict: bool = False,
    expected_failures: str | Path | None = None,
    allow_stale: bool = False,
    json_path: str | Path | None = None,
    on_check_finished: Callable[[CheckRecord], None] | None = None,
    on_ready: Callable[[ContainerConfig], Any] | None = None,
    pytest_output: bool = False,
) -> ResultDocument:
    """Judge the container at `url` (or the one `container_cmd` starts) against the CT-* requirements.

    Raises ContainerUsageError (a flag's value cannot work), SelectionError
    (bad -k/--level/expected-failures), TargetError (the container never
    answered, or never started), SuiteError (pytest stopped without a document).
    """
    command = _command(url, container_cmd, container_env)
    given = {k: v for k, v in dict(body=body, content_type=content_type, t_accept=t_accept, t_done_override=t_done,
                                   ready_timeout=ready_timeout, request_timeout=request_timeout).items() if v is not None}
    config = ContainerConfig(url=(url or DEFAULT_URL).rstrip("/"), path=path, health_path=health_path,
                             supports=frozenset(supports), webhook_field=webhook_field, webhook_header=webhook_header,
                             headers=tuple(headers), **given)
    if config.webhook_mode == "deploy-time" and command is None and sink_port == 0:
        raise ContainerUsageError(
            "--supports fire-and-forget without --webhook-field or --webhook-header: the container calls a webhook "
            "URL fixed when it starts, so give the sink a fixed place with --sink-port PORT and start the container "
            f"with the URL {fixed_webhook_url('http://127.0.0.1:PORT')}, or let the suite start it with "
            "--container-cmd ({sink_url} is filled in)")
    selection = Selection.make(select, levels, kind="container")
    expected = as_expected(None)
    if expected_failures:
        expected = load_expected_failures(expected_failures, allow_stale=allow_stale).validate(
            kind="container", checks=[check.name for check in all_checks("container")])
    with contextlib.ExitStack() as stack:
        config = _with_sink(config, stack, sink_host, sink_port, sink_url)
        process = _launch_container(command, config, stack)
        if process is not None:
            config = replace(config, url=fill(url or DEFAULT_URL, "--url", port=str(process.port)).rstrip("/"))
        gateway = _launch_gateway(config, stack) if through_gateway else None
        config = replace(config, readiness=wait_ready(config, process))
        if gateway is not None:
            config = replace(config, gateway_url=_gateway_ready(gateway))
        if on_ready is not None:
            on_ready(config)
        target = TargetInfo("container", config.url, config.url, gateway_cmd=container_cmd)
        document = _checks(config, selection, strict, expected, target, on_check_finished, pytest_output)
        if process is not None:
            _keep_output(document, process)
    if json_path:
        try:
            write_json(document, json_path)
        except OSError as exc:
            raise ContainerUsageError(f"--json {json_path}: cannot write it: {exc.strerror or exc}") from None
    return document


def _command(url: str | None, container_cmd: str | None, container_env: Iterable[str]) -> ContainerCommand | None:
    """--container-cmd and --container-env, checked; usage errors for what cannot go together."""
    env = parse_env(container_env)
    if container_cmd is None:
        if env:
            raise ContainerUsageError("--container-env needs --container-cmd: it is the environment of the container "
                                      "the suite starts")
        if url is None:
            raise ContainerUsageError("--url URL (a running container) or --container-cmd CMD (one the suite starts) "
                                      "is required")
        return None
    command = ContainerCommand(container_cmd, env)
    command.argv()  # splits and checks the placeholders now: nothing has started yet
    if url is not None:
        fill(url, "--url", port="0")
    return command


def _with_sink(config: ContainerConfig, stack: contextlib.ExitStack, host: str, port: int,
               told: str | None) -> ContainerConfig:
    """Start the sink (stopped with the stack) and say where the container and the suite reach it."""
    try:
        sink = MockSink(host, port).start()
    except OSError as exc:
        raise ContainerUsageError(f"--sink-host/--sink-port: {exc}") from None
    stack.callback(sink.stop)
    try:
        base = (told or sink.url).format(port=sink.port).rstrip("/")
    except (KeyError, IndexError, ValueError) as exc:
        raise ContainerUsageError(f"--sink-url {told!r}: only {{port}} can be filled in ({exc!r})") from None
    return replace(config, sink_url=base, sink_local_url=sink.url)


def _launch_container(command: ContainerCommand | None, config: ContainerConfig,
                      stack: contextlib.ExitStack) -> ManagedServer | None:
    """Start the container (stopped with the stack) without waiting for it: ready.py times that wait."""
    if command is None:
        return None
    process = command.server(fixed_webhook_url(config.sink_url))
    stack.callback(process.stop)
    try:
        return process.launch()
    except ServerStartError as exc:
        raise TargetError(f"--container-cmd: {exc}") from None


def _launch_gateway(config: ContainerConfig, stack: contextlib.ExitStack) -> ManagedServer:
    """Start the reference gateway in front of the container (stopped with the stack), while the container starts."""
    gateway = gateway_server(config.url, config.request_timeout)
    stack.callback(gateway.stop)
    try:
        return gateway.launch()
    except ServerStartError as exc:
        raise TargetError(f"--through-gateway: {exc}") from None


def _gateway_ready(gateway: ManagedServer) -> str:
    """The gateway's deployment of the container, once the gateway answers its health route."""
    try:
        gateway.wait_healthy()
    except ServerStartError as exc:
        raise TargetError(f"--through-gateway: the reference gateway did not start: {exc}") from None
    return f"{gateway.url}/{DEPLOYMENT}"


def _checks(config: ContainerConfig, selection: Selection, strict: bool, expected: dict[str, str], target: TargetInfo,
            on_check_finished: Callable[[CheckRecord], None] | None, pytest_output: bool) -> ResultDocument:
    """The pytest run of the selected checks; one book of accepted requests for all of them."""
    make_context = partial(container_context, accepted=Accepted())
    state = SuiteState(config, selection, strict, expected, target, None,  # type: ignore[arg-type]
                       run_preflight=False, make_context=make_context)
    listener = Listener(on_check_finished)
    code = pytest.main(isolated_args(pytest_output), plugins=[listener, _Activate(state)])
    if listener.document is None:
        raise SuiteError(f"pytest ended with exit code {int(code)} and no result document")
    return listener.document


def _keep_output(document: ResultDocument, process: ManagedServer) -> None:
    """The container's last output lines into the report, when a MUST or SHOULD failed (with --strict or not)
    or the container exited during the run: what it printed may say why."""
    exited = process.returncode
    if exited is None and not (document.summary.failed_must or document.summary.failed_should):
        return
    tail = process.tail(OUTPUT_LINES)
    head = f"(the container exited with code {exited} during the run)\n" if exited is not None else ""
    document.target = replace(document.target, cmd_output=head + (tail or "(it printed nothing)"))
