"""Run the container checks from Python: `run_container_suite(...) -> ResultDocument`.

The same pytest run as `conformance run` (the isolated ini, the plugin's
one item per check, the engine, the result document), told apart only by
the run's kind (conformance.checks.KINDS) and the context its checks get::

    doc = run_container_suite(url="http://127.0.0.1:8000", supports={"task-id"})
    assert doc.outcomes()["CT-ASYNC-02"] == "passed"

Order: start the webhook sink, wait for the container's health route
(ready.py), then run the checks; the sink stops when the run ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conformance.runs.gateway.run import Listener, SuiteError, isolated_args
from conformance.judge.container_config import ContainerConfig, ContainerUsageError
from conformance.checks import all_checks
from conformance.checks.container_context import container_context
from conformance.runs.container.ready import wait_ready
from conformance.runs.container.sink import WebhookSink
from conformance.runs.plugin import STATE, SuiteState
from conformance.runs.gateway.preflight import TargetError
from conformance.judge.model import CheckRecord, ResultDocument, TargetInfo
from conformance.judge.selection import Selection, SelectionError, as_expected, load_expected_failures

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
    url: str,
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
    """Judge the container at `url` against the CT-* requirements and return the result document.

    Raises ContainerUsageError (a flag's value cannot work), SelectionError
    (bad -k/--level/expected-failures), TargetError (the container never
    answered), SuiteError (pytest stopped without a document).
    """
    given = {k: v for k, v in dict(body=body, content_type=content_type, t_accept=t_accept, t_done_override=t_done,
                                   ready_timeout=ready_timeout, request_timeout=request_timeout).items() if v is not None}
    config = ContainerConfig(url=url.rstrip("/"), path=path, health_path=health_path, supports=frozenset(supports),
                             webhook_field=webhook_field, webhook_header=webhook_header, headers=tuple(headers), **given)
    selection = Selection.make(select, levels, kind="container")
    expected = as_expected(None)
    if expected_failures:
        expected = load_expected_failures(expected_failures, allow_stale=allow_stale).validate(
            kind="container", checks=[check.name for check in all_checks("container")])
    try:
        sink = WebhookSink(sink_host, sink_port).start()
    except OSError as exc:
        raise ContainerUsageError(f"--sink-host/--sink-port: {exc}") from None
    try:
        try:
            told = (sink_url or sink.url).format(port=sink.port).rstrip("/")
        except (KeyError, IndexError, ValueError) as exc:
            raise ContainerUsageError(f"--sink-url {sink_url!r}: only {{port}} can be filled in ({exc!r})") from None
        config = replace(config, sink_url=told, sink_local_url=sink.url)
        config = replace(config, readiness=wait_ready(config))
        if on_ready is not None:
            on_ready(config)
        target = TargetInfo("container", config.url, config.url)
        state = SuiteState(config, selection, strict, expected, target, Path(json_path) if json_path else None,  # type: ignore[arg-type]
                           run_preflight=False, make_context=container_context)
        listener = Listener(on_check_finished)
        code = pytest.main(isolated_args(pytest_output), plugins=[listener, _Activate(state)])
    finally:
        sink.stop()
    if listener.document is None:
        raise SuiteError(f"pytest ended with exit code {int(code)} and no result document")
    return listener.document
