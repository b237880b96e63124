"""The HTML report: one self-contained page (inline CSS, inline SVG, a few lines of inline script, no network).

Read top to bottom, it answers a gateway team's questions in order: did we
pass; what broke (each failed requirement with what was expected, what the
gateway did, the request's timeline and a curl command to reproduce it);
the whole requirement table (filterable by level and outcome); and every
check with its timelines and HTTP exchanges.

Everything from the run goes through Jinja2's autoescaping: bodies and
headers come from the gateway under test and are untrusted. Before that,
control and format characters are shown as escapes (`_visible`): a
right-to-left override would make the page say something the bytes do
not, and an escape sequence would act on a terminal that prints the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from conformance.reports import svg
from conformance.reports.unseen import terminal_safe
from conformance.reports import timeline as timelines
from conformance.reports.view import CheckView, checks

__all__ = ["render_html", "write_html"]

Document = dict[str, Any]

BODY_SHOWN = 1500
TIMELINES_PER_CHECK = {"failed": 4, "error": 4}  # others: TIMELINES_OTHERWISE
TIMELINES_OTHERWISE = 2
EXCHANGES_IN_FULL = 80
FAILURES_PER_REQUIREMENT = 3


@dataclass
class BodyView:
    kind: str  # "empty", "text", "binary"
    text: str = ""
    note: str = ""


def body_view(body: dict[str, Any]) -> BodyView:
    if body["size"] == 0:
        return BodyView("empty", note="empty body")
    if body.get("binary") or body.get("text") is None:
        return BodyView("binary", note=f"binary body: {body['size']:,} bytes, sha256 {body['sha256']}")
    text = body["text"]
    if len(text) > BODY_SHOWN or body.get("truncated"):
        return BodyView("text", text[:BODY_SHOWN], f"shortened: the first {min(len(text), BODY_SHOWN):,} characters of "
                                                   f"{body['size']:,} bytes (sha256 {body['sha256']})")
    return BodyView("text", text)


def _visible(value: Any) -> Any:
    """A text as the page shows it: newlines and tabs kept, every other unseen character escaped.

    Markup (the page's own macros and drawings) is left alone.
    """
    if isinstance(value, str) and not isinstance(value, Markup):
        return terminal_safe(value, keep="\n\t")
    return value


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("conformance.reports", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, finalize=_visible)
    env.filters["body"] = body_view
    env.filters["secs"] = _secs
    return env


def _secs(value: Any) -> str:
    if not isinstance(value, (int, float)):
        return ""
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


@dataclass
class CheckSection:
    view: CheckView
    drawings: list[tuple[timelines.Timeline, svg.Drawing]]
    more_timelines: int
    exchanges: list[dict[str, Any]]
    brief_exchanges: list[dict[str, Any]]
    open_seqs: set[int]  # the gateway requests its counting failures point at, shown unfolded


def _sections(document: Document, views: list[CheckView]) -> list[CheckSection]:
    sections = []
    for view in views:
        found = timelines.timelines(view.check, document["parameters"])
        important = {e["seq"] for f in view.failures for e in f.failure.get("exchanges", [])}
        chosen = timelines.select(found, TIMELINES_PER_CHECK.get(view.outcome, TIMELINES_OTHERWISE), important)
        exchanges = sorted(view.check.get("exchanges") or [], key=lambda e: e["seq"])
        failing = [e["seq"] for f in view.failures if f.kind == "failed" for e in f.failure.get("exchanges", [])
                   if e["target"] != "mock"]
        sections.append(CheckSection(view, [(t, svg.draw(t)) for t in chosen], len(found) - len(chosen),
                                     exchanges[:EXCHANGES_IN_FULL], exchanges[EXCHANGES_IN_FULL:], set(failing[:3])))
    return sections


@dataclass
class BrokenRequirement:
    requirement: dict[str, Any]
    kind: str  # "failed", "warning", "expected"
    failures: list[dict[str, Any]]
    more: int
    drawing: svg.Drawing | None


def _broken(document: Document, sections: list[CheckSection]) -> list[BrokenRequirement]:
    by_check = {s.view.name: s for s in sections}
    order = {"failed": 0, "warning": 1, "expected": 2}
    found = []
    for view in (s.view for s in sections):
        for failure in view.failures:
            if any(b.requirement["id"] == failure.rid for b in found):
                continue
            requirement = next(r for r in document["requirements"] if r["id"] == failure.rid)
            failures = requirement["failures"]
            drawing = None
            seqs = {e["seq"] for f in failures[:1] for e in f.get("exchanges", [])}
            section = by_check.get(failures[0]["check"]) if failures else None
            for item, picture in section.drawings if section else ():
                if item.submit_seq in seqs or any(e.seq in seqs for e in item.events):
                    drawing = picture
                    break
            found.append(BrokenRequirement(requirement, failure.kind, failures[:FAILURES_PER_REQUIREMENT],
                                           max(len(failures) - FAILURES_PER_REQUIREMENT, 0), drawing))
    ids = list(document["summary"].get("failed_must", [])) + list(document["summary"].get("failed_should", []))
    return sorted(found, key=lambda b: (order[b.kind], ids.index(b.requirement["id"]) if b.requirement["id"] in ids else 99))


def _outcome_of(requirement: dict[str, Any]) -> str:
    """The requirement table's outcome column: `expected` for a listed failure."""
    if requirement["outcome"] == "failed" and requirement.get("expected_failure") is not None:
        return "expected"
    return requirement["outcome"]


def render_html(document: Document) -> str:
    """The HTML page of a result document."""
    views = checks(document)
    sections = _sections(document, views)
    outcomes = sorted({_outcome_of(r) for r in document["requirements"]},
                      key=["failed", "expected", "passed", "skipped", "observed"].index)
    context = {
        "doc": document,
        "summary": document["summary"],
        "sections": sections,
        "broken": _broken(document, sections),
        "outcome_of": _outcome_of,
        "outcomes": outcomes,
        "levels": [level for level in ("MUST", "SHOULD", "INFO") if any(r["level"] == level for r in document["requirements"])],
        "check_outcomes": {s.view.name: s.view.outcome for s in sections},
    }
    return _environment().get_template("report.html.j2").render(**context)


def write_html(document: Document, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(document), encoding="utf-8")
    return path
