"""Writing the file reports of a run: the one entry point `conformance run` and `conformance report` share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.reports.diff import Diff
from conformance.reports.expected_file import expected_failures_yaml
from conformance.reports.html import render_html
from conformance.reports.junit import render_junit
from conformance.reports.markdown import render_markdown
from conformance.reports.view import DocumentError

__all__ = ["ReportError", "write_reports"]


class ReportError(RuntimeError):
    """A report could not be rendered or written; the message names the file and the cause."""


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"cannot write {path}: {exc.strerror or exc}") from None


def write_reports(document: dict[str, Any], *, html: str | Path | None = None, junit_xml: str | Path | None = None,
                  markdown: str | Path | None = None, diff: Diff | None = None,
                  expected_failures: str | Path | None = None, source: str = "RUN.json") -> list[tuple[str, Path]]:
    """Render the requested reports of a result document (a dict) and write them; [(kind, path)].

    The Markdown report shows `diff` (the changes since a baseline run) when given; `expected_failures` is
    the YAML expected-failures file of the run's failures (`source` names the run in its header).
    """
    jobs = [("HTML", html, render_html), ("JUnit XML", junit_xml, render_junit),
            ("Markdown", markdown, lambda doc: render_markdown(doc, diff)),
            ("Expected failures", expected_failures, lambda doc: expected_failures_yaml(doc, source))]
    written = []
    for kind, target, render in jobs:
        if not target:
            continue
        try:
            text = render(document)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, DocumentError):
                raise ReportError(str(exc)) from None
            raise ReportError(f"the result document is incomplete or malformed ({type(exc).__name__}: {exc}); "
                              "was it written by `conformance run --json`?") from None
        _write(Path(target), text)
        written.append((kind, Path(target)))
    return written
