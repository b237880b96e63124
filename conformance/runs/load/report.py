"""The load verdicts as the suite reports them: one `ResultDocument` (the suite's
result model, so the same JSON schema, renderers and exit codes apply), and a
short console summary.

Exit codes are the suite's: 0 no MUST failed (with --strict: no SHOULD
either), 1 conformance failures, 2 the run could not be judged (a mock or the
gateway unreachable, a worker's tally missing).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from typing import Any

from rich.console import Console

from conformance.judge.config import SuiteConfig
from conformance.reports.console import render_text
from conformance.reports.unseen import terminal_safe
from conformance.reports.json_report import write_json
from conformance.judge.model import CheckRecord, IdVerdict, ResultDocument, TargetInfo
from conformance.judge.document import build_document as build_suite_document
from conformance.judge.selection import Selection
from conformance.runs.load.settings import LoadSettings

__all__ = ["build_document", "write_json", "console_summary", "CANNOT_JUDGE", "CHECK_NAME"]

CANNOT_JUDGE = 2
CHECK_NAME = "load"
#: The users' HTTP timeout (user.py), reported as the suite's request_timeout.
REQUEST_TIMEOUT = 30.0


def build_document(verdicts: list[IdVerdict], settings: LoadSettings, *, gateway: str, target_mode: str,
                   started: float, duration: float, users: int, run: dict[str, Any]) -> ResultDocument:
    """The suite's document for one load check; `run` (the load's shape) joins `parameters`."""
    check = CheckRecord(
        name=CHECK_NAME,
        module="conformance.runs.load",
        ids=[v.id for v in verdicts],
        description="Locust load across all four modes, judged against the mock containers' journals",
        status="completed",
        duration=round(duration, 3),
        verdicts=verdicts,
    )
    config = SuiteConfig(
        gateway=gateway,
        container_url=" ".join(settings.container_urls),
        headers=settings.headers,
        delay=settings.delay,
        t_accept=settings.t_accept,
        t_done_override=settings.t_done,
        n=max(users, 1),  # N: concurrent submissions, one per simulated user
        request_timeout=REQUEST_TIMEOUT,
    )
    document = build_suite_document(
        config=config,
        target=TargetInfo(mode=target_mode, gateway=gateway, container_url=config.container_url,
                          mock_access="through-gateway" if settings.through_gateway else "direct"),
        selection=Selection.make(prefixes=[v.id for v in verdicts]),
        records=[check],
        strict=settings.strict,
        started_at=dt.datetime.fromtimestamp(started, dt.timezone.utc),
        duration=duration,
    )
    document.parameters.update(
        mix=str(settings.mix), path=settings.path, run_id=settings.run_id,
        max_submissions_per_process=settings.max_submissions, **run,
    )
    return document


def console_summary(document: ResultDocument, width: int = 110) -> str:
    """The suite's verdict table, then the load's numbers (printed after Locust's own tables)."""
    buffer = io.StringIO()
    # markup off: reasons and hashes are data, and "[...]" in them is not a style tag
    console = Console(file=buffer, width=width, force_terminal=False, color_system=None, markup=False)
    for result in document.requirements:
        for failure in result.failures:
            if failure.case:
                console.print(f"  {result.id}: {failure.reason}: {failure.case}")
        for note in result.notes:
            if note not in result.reason:
                console.print(f"  {result.id} note: {note}")
    load = next((r.data for r in document.requirements if r.id == "GW-LOAD-01"), {})
    latency = next((r.data for r in document.requirements if r.id == "GW-LOAD-02"), {})
    for example in load.get("examples", [])[:5]:
        console.print(f"  e.g. {example}")
    for line in _numbers(load, latency):
        console.print(line)
    return render_text(document, width=width) + terminal_safe(buffer.getvalue(), keep_newlines=True)


def _numbers(load: dict[str, Any], latency: dict[str, Any]) -> Iterable[str]:
    if load:
        yield (f"run {load.get('run_id')}: {load.get('submissions')} submissions in {load.get('duration_s')} s "
               f"({load.get('submissions_per_s')}/s); journal entries {load.get('journal_entries')}, "
               f"webhooks {load.get('webhook_deliveries')}")
        for mode, outcomes in load.get("by_mode", {}).items():
            yield f"  {mode:9} " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        if load.get("errors_by_kind"):
            yield "errors by kind: " + "; ".join(f"{k}: {v}" for k, v in load["errors_by_kind"].items())
        if load.get("locust_files"):
            yield "Locust stats: " + ", ".join(load["locust_files"])
    if latency.get("samples"):
        yield (f"respond-async accept: p50 {latency['p50'] * 1000:.1f} ms, p95 {latency['p95'] * 1000:.1f} ms, "
               f"p99 {latency['p99'] * 1000:.1f} ms, max {latency['max'] * 1000:.1f} ms over {latency['samples']} "
               f"(T_accept {latency['t_accept'] * 1000:.0f} ms, container D {latency['container_delay']} s)")
