"""The console report: live progress while checks run, then one table row per requirement.

Reasons, URLs and reproductions quote the gateway, whose bytes must not
drive the reader's terminal: an escape sequence could clear the screen,
recolour "failed" as a pass, retitle the window or write the clipboard
(OSC 52). Every text from the run goes through `terminal_safe`, which shows
control and format characters as escapes (`\x1b`) instead of sending them.
"""

from __future__ import annotations

import io
import threading

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from conformance.judge.model import CheckRecord, Outcome, RequirementResult, ResultDocument
from conformance.reports.unseen import terminal_safe

__all__ = ["LiveProgress", "render", "render_text", "counts_line", "terminal_safe"]

STYLE = {
    Outcome.PASSED: "green",
    Outcome.FAILED: "bold red",
    Outcome.SKIPPED: "yellow",
    Outcome.OBSERVED: "cyan",
}


class LiveProgress:
    """A progress bar fed from the engine's thread as checks finish."""

    def __init__(self, console: Console, total: int) -> None:
        self._progress = Progress(
            SpinnerColumn(), TextColumn("[bold]conformance[/]"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("{task.description}"), console=console, transient=True,
        )
        self._task = self._progress.add_task("starting", total=total)
        self._lock = threading.Lock()
        self._failed = 0

    def __enter__(self) -> "LiveProgress":
        self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._progress.stop()

    def finished(self, record: CheckRecord) -> None:
        with self._lock:
            failed = any(v.outcome is Outcome.FAILED for v in record.verdicts)
            self._failed += failed
            mark = "[red]✗[/]" if failed else "[green]✓[/]"
            self._progress.update(self._task, advance=1,
                                  description=f"{mark} {record.name} ({self._failed} with failures)")


def _outcome_text(result: RequirementResult) -> Text:
    label = result.outcome.value
    listed = result.expected_failure
    if listed is not None and result.outcome is Outcome.FAILED:
        label += " (expected)" if listed.excused else " (not all listed)"  # an entry naming other checks
    elif listed is not None:
        label += " (xfail passed!)"
    return Text(label, style=STYLE[result.outcome])


def counts_line(document: ResultDocument) -> str:
    parts = []
    for level, counts in document.summary.counts.items():
        bits = [f"{counts.passed} passed", f"{counts.failed} failed"]
        if counts.skipped:
            bits.append(f"{counts.skipped} skipped")
        if counts.observed:
            bits.append(f"{counts.observed} observed")
        if counts.expected_failures:
            bits.append(f"{counts.expected_failures} expected")
        if level == "INFO":
            bits = [f"{counts.observed} observed"] + ([f"{counts.skipped} skipped"] if counts.skipped else [])
        parts.append(f"{level}: {', '.join(bits)}")
    verdict = document.summary.verdict.upper()
    strict = " (strict)" if document.summary.strict else ""
    line = f"{' | '.join(parts)} -> {verdict}{strict} in {document.summary.duration:.1f} s"
    for reason in document.summary.not_judged:
        line += f"\nnot judged, the suite lost its view of the mock container: {terminal_safe(reason)}"
    return line


def _mock_access(document: ResultDocument) -> str:
    """How the mock was reached, when it was not at its own address."""
    target = document.target
    if not target.through_gateway:
        return ""
    waited = f"; ready after {target.ready_wait:.1f} s" if target.ready_wait else ""
    return f" (mock reached through the gateway{waited})"


def _table(document: ResultDocument) -> Table:
    table = Table(title=Text(terminal_safe(f"Conformance of {document.target.gateway}{_mock_access(document)}")),
                  title_justify="left",
                  expand=True)
    table.add_column("ID", no_wrap=True)
    table.add_column("level", no_wrap=True)
    table.add_column("outcome", no_wrap=True)
    table.add_column("reason", overflow="ellipsis", no_wrap=True, ratio=1)
    for result in document.requirements:
        reason = result.reason or result.observed or ""
        line = Text(terminal_safe(reason.splitlines()[0])) if reason else Text(result.statement, style="dim")
        table.add_row(result.id, result.level, _outcome_text(result), line)
    return table


def _details(console: Console, document: ResultDocument, verbose: bool) -> None:
    failed = [r for r in document.requirements if r.outcome is Outcome.FAILED]
    for result in failed:
        console.print(Text(f"{result.id} ({result.level}) {result.statement}", style="bold"))
        for failure in result.failures[: None if verbose else 3]:
            console.print(f"  [red]✗[/] {escape(terminal_safe(failure.reason))}  [dim]({escape(failure.check)})[/]",
                          highlight=False)
            if failure.expected is not None:
                console.print(Text(terminal_safe(f"      expected: {failure.expected}")))
            if failure.actual is not None:
                console.print(Text(terminal_safe(f"      actual:   {failure.actual}")))
            shown = failure.exchanges if verbose else [e for e in failure.exchanges if e.target != "mock"][:2]
            for exchange in shown:
                answer = str(exchange.response.status) if exchange.response else (exchange.error or "no answer")
                console.print(Text(terminal_safe(f"      #{exchange.seq} {exchange.request.method} {exchange.request.url} "
                                                 f"-> {answer}"), style="dim"))
        first = result.failures[0] if result.failures else None
        if first is not None and first.reproduction:
            console.print(Text("  reproduce:", style="bold"))
            console.print(Text(terminal_safe("\n".join("    " + line for line in first.reproduction.split("\n")),
                                             keep_newlines=True)))
    forms = document.summary.gateway_forms
    if forms:
        console.print(Text(terminal_safe("gateway forms: " + ", ".join(f"{k.replace('_', ' ')} = {v}"
                                                                       for k, v in forms.items()))))
    if document.summary.unexpected_passes:
        console.print(f"[yellow]listed as expected failures but passed:[/] {', '.join(document.summary.unexpected_passes)}")
    if verbose:
        for result in document.requirements:
            for note in result.notes:
                console.print(Text(terminal_safe(f"  {result.id}: {note}"), style="dim"))


def render(document: ResultDocument, console: Console, *, verbose: bool = False) -> None:
    console.print(_table(document))
    _details(console, document, verbose)
    style = "bold green" if document.summary.exit_code == 0 else "bold red"
    console.print(Text(counts_line(document), style=style))


def render_text(document: ResultDocument, width: int = 120, verbose: bool = False) -> str:
    buffer = io.StringIO()
    render(document, Console(file=buffer, width=width, force_terminal=False, color_system=None), verbose=verbose)
    return buffer.getvalue()
