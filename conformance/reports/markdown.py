"""The Markdown report: what a pull-request comment or a CI step summary shows of a run.

Top to bottom: the verdict with the kit and contract versions; counts per
level; stale expected failures; the changes since the baseline (when there
is one); what broke, each requirement with its reason and the curl
reproduction of its first failure; the gateway's legal forms.

Bounded: the whole text stays under `limit` characters (default
`MAX_CHARS`, below GitHub's 65,536-character comment limit; a step summary
may hold 1 MiB). Requirements that do not fit are named in one line and
left to the HTML report. Everything from the run is untrusted (a gateway
chose those bytes): text outside code blocks is escaped, code blocks are
fenced longer than any backtick run inside them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from conformance.reports.diff import Diff, describe_runs
from conformance.reports.unseen import terminal_safe

__all__ = ["render_markdown", "render_diff_markdown", "inline", "code_span", "code_block", "MAX_CHARS"]

Document = dict[str, Any]

MAX_CHARS = 60_000
#: room kept for the closing lines whatever else was cut
_RESERVE = 600
DIFF_ROWS = 60
REPRODUCTION_LINES = 40
REPRODUCTION_CHARS = 4_000
TEXT_CHARS = 300

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#!])")


def _short(text: Any, limit: int = TEXT_CHARS) -> str:
    line = " ".join(str(text if text is not None else "").split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def inline(text: Any, limit: int = TEXT_CHARS) -> str:
    """One line of untrusted text, safe in Markdown prose and table cells."""
    escaped = _SPECIAL.sub(r"\\\1", terminal_safe(_short(text, limit))).replace("&", "&amp;")
    return escaped.replace("@", "@\u2060")  # a gateway's text must not @-mention anyone in a PR comment


def code_span(text: Any, limit: int = TEXT_CHARS) -> str:
    """Untrusted text as inline code: nothing inside a code span renders, and no backtick run inside can close it."""
    body = terminal_safe(_short(text, limit))
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def code_block(text: str, language: str = "") -> str:
    """A fenced block no content can close early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{terminal_safe(text, keep_newlines=True)}\n{fence}"


def _shorten_lines(text: str, lines: int, chars: int) -> str:
    """At most `lines` whole lines and `chars` characters: a line is kept whole or not at all, so a
    shortened reproduction never ends inside a quoted word a reader might paste."""
    kept: list[str] = []
    size = 0
    for line in text.splitlines():
        if len(kept) == lines or size + len(line) + 1 > chars:
            return "\n".join(kept) + "\n# ... shortened: the whole reproduction is in the HTML and JSON reports"
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


@dataclass
class _Broken:
    requirement: dict[str, Any]
    kind: str  # "failed", "warning" (a SHOULD that does not fail the run), "expected"


def _broken(document: Document) -> list[_Broken]:
    strict = bool(document["summary"].get("strict"))
    found = []
    for req in document["requirements"]:
        if req.get("outcome") != "failed":
            continue
        listed = req.get("expected_failure") or None
        if listed is not None and listed.get("excused", True):
            kind = "expected"
        elif req.get("level") == "MUST" or (strict and req.get("level") == "SHOULD"):
            kind = "failed"
        else:
            kind = "warning"
        found.append(_Broken(req, kind))
    order = {"failed": 0, "warning": 1, "expected": 2}
    return sorted(found, key=lambda b: order[b.kind])


_LABEL = {"failed": "fails the run", "warning": "does not fail the run without --strict",
          "expected": "expected failure (listed)"}


def _broken_section(item: _Broken) -> str:
    req = item.requirement
    lines = [f"#### {inline(req['id'], 40)} ({inline(req.get('level'), 10)}, {_LABEL[item.kind]})",
             inline(req.get("statement"), 400), ""]
    failures = req.get("failures") or []
    first = failures[0] if failures else {}
    lines.append(f"- **failed:** {inline(first.get('reason') or req.get('reason'))}")
    for label in ("expected", "actual"):
        if first.get(label) is not None:
            lines.append(f"- {label}: {inline(first[label])}")
    if first.get("check"):
        lines.append(f"- check: {code_span(first['check'], 80)}"
                     + (f" (+{len(failures) - 1} more failures)" if len(failures) > 1 else ""))
    listed = req.get("expected_failure") or None
    if listed is not None:
        lines.append(f"- listed as expected: {inline(listed.get('reason'))}")
    if first.get("reproduction"):
        repro = _shorten_lines(str(first["reproduction"]), REPRODUCTION_LINES, REPRODUCTION_CHARS)
        lines += ["", "<details><summary>reproduce with curl</summary>", "", code_block(repro, "sh"), "", "</details>"]
    return "\n".join(lines) + "\n"


def _counts(document: Document) -> str:
    rows = ["| level | passed | failed | expected failures | not judged | observed |", "|---|---|---|---|---|---|"]
    for level, counts in document["summary"]["counts"].items():
        if not any(counts.get(k) for k in ("passed", "failed", "skipped", "observed")):
            continue
        failed = counts.get("failed", 0) - counts.get("expected_failures", 0)
        rows.append(f"| {inline(level, 10)} | {counts.get('passed', 0)} | {failed} | {counts.get('expected_failures', 0)} | "
                    f"{counts.get('skipped', 0)} | {counts.get('observed', 0)} |")
    return "\n".join(rows) + "\n"


def _stale(document: Document) -> str:
    summary = document["summary"]
    stale = summary.get("unexpected_passes") or []
    if not stale:
        return ""
    source = (document.get("selection") or {}).get("expected_failures_file") or "the expected-failures file"
    effect = "reported only (--allow-stale)" if summary.get("allow_stale") else "they fail the run"
    lines = [f"### Stale expected failures ({effect})", ""]
    lines += [f"- {inline(rid, 40)} now passes: remove it from {code_span(source, 200)}" for rid in stale]
    return "\n".join(lines) + "\n"


def render_diff_markdown(diff: Diff, rows: int = DIFF_ROWS) -> str:
    """The changes since the baseline: who was compared, then one table row per change."""
    verdict = (f"**{len(diff.regressions)} regression(s)**: {', '.join(inline(c.id, 40) for c in diff.regressions)}"
               if diff.regressions else "No regression")
    lines = [f"### Changes since the baseline: {inline(diff.headline(), 200)}", "", verdict, ""]
    lines += [f"- {inline(line, 600)}" for line in describe_runs(diff)]
    if diff.changes:
        lines += ["", "| ID | level | change | before → after | cause | why |", "|---|---|---|---|---|---|"]
        for change in diff.changes[:rows]:
            moved = f"{inline(change.before, 80)} → {inline(change.after, 80)}" if change.before or change.after else ""
            lines.append(f"| {inline(change.id, 40)} | {inline(change.level, 10)} | {change.kind.value} | {moved} | "
                         f"{change.cause.value} | {inline(change.why, 240)} |")
        if len(diff.changes) > rows:
            lines.append(f"\n… and {len(diff.changes) - rows} more changes (`conformance diff` lists them all).")
    return "\n".join(lines) + "\n"


def _header(document: Document) -> str:
    summary = document["summary"]
    verdict = "PASS" if summary.get("exit_code") == 0 else "FAIL"
    target = document.get("target") or {}
    tool = document.get("tool") or {}
    contract = (document.get("contract") or {}).get("version") or "unknown"
    bits = [code_span(target.get("gateway"), 200), f"kit {inline(tool.get('version'), 40)}",
            f"contract {inline(contract, 20)}", f"{float(summary.get('duration') or 0):.1f} s"]
    if summary.get("strict"):
        bits.append("strict")
    failing = list(summary.get("failed_must") or []) + list(summary.get("failed_should") or []) if summary.get("strict") \
        else list(summary.get("failed_must") or [])
    because = f": {', '.join(inline(r, 40) for r in failing)}" if failing else ""
    if verdict == "FAIL" and not failing and summary.get("unexpected_passes"):
        because = ": stale expected failures"
    return f"## Conformance {verdict}{because}\n\n" + " · ".join(bits) + "\n"


def _forms(document: Document) -> str:
    forms = document["summary"].get("gateway_forms") or {}
    if not forms:
        return ""
    return "Gateway forms: " + ", ".join(f"{inline(k.replace('_', ' '), 60)} = {inline(v, 60)}" for k, v in forms.items()) + "\n"


def render_markdown(document: Document, diff: Diff | None = None, *, limit: int = MAX_CHARS) -> str:
    """The Markdown of a result document (a dict), with the diff against a baseline when given; at most `limit` chars."""
    head = [_header(document), _counts(document), _stale(document)]
    if diff is not None:
        head.append(render_diff_markdown(diff))
    tail = [_forms(document), "_Full details: the HTML report (timelines, exchanges) and the JSON result document._\n"]
    text = "\n".join(part for part in head if part)
    end = "\n".join(part for part in tail if part)
    broken = _broken(document)
    if broken:
        text += "\n### What broke\n\n"
    for index, item in enumerate(broken):
        section = _broken_section(item)
        left = broken[index:]
        if len(text) + len(section) + len(end) + _RESERVE > limit:
            names = ", ".join(inline(b.requirement["id"], 40) for b in left)
            text += f"… and {len(left)} more, not shown here to keep this short: {_short(names, 2000)}\n"
            break
        text += section + "\n"
    text += "\n" + end
    if len(text) > limit:  # only a huge head (stale list, diff) gets here; it holds no code block to cut in two
        text = text[: limit - 200].rsplit("\n", 1)[0] + "\n\n… (shortened to stay under the size limit)\n"
    return text
