"""The JUnit XML report: one test case per check, one test suite per requirement family.

What CI systems read (Jenkins, GitLab, GitHub test reporters):
- `<testsuites>` holds one `<testsuite name="GW-ASYNC">` per family, in
  contract order; a check covering IDs of several families is filed under
  the family of its first (main) ID, and its name lists every ID;
- every `<testcase>` has `classname="conformance.GW-ASYNC"` and the unique
  `name="submission_accepted[GW-ASYNC-01,...]"` (the pytest item's name);
- a failing check has `<failure message="GW-ASYNC-04 (MUST): ...">` whose
  text gives, per failed requirement, the reason, expected and actual, the
  HTTP exchanges, the request timelines and the curl reproduction;
- a check the suite could not judge has `<error>`; SHOULD failures that do
  not fail the run, listed expected failures and unjudged checks are
  `<skipped>` with a message saying which (JUnit has no "warning" and no
  "expected failure").
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from conformance.reports import timeline as timelines
from conformance.reports.unseen import terminal_safe
from conformance.reports.view import CheckView, checks

__all__ = ["render_junit", "write_junit"]

Document = dict[str, Any]

#: characters XML 1.0 cannot carry at all (a gateway may send anything)
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
BODY_SHOWN = 1024
EXCHANGES_SHOWN = 6
TIMELINES_SHOWN = 3


def _clean(text: Any) -> str:
    """XML can carry it, and a terminal printing the file shows it: control and format characters as escapes."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", terminal_safe(text, keep="\n\t"))


def _body(body: dict[str, Any]) -> str:
    if body["size"] == 0:
        return "(empty body)"
    if body.get("binary") or body.get("text") is None:
        return f"(binary body, {body['size']} bytes, sha256 {body['sha256']})"
    text = body["text"]
    if len(text) > BODY_SHOWN or body.get("truncated"):
        return f"{text[:BODY_SHOWN]}\n[body shortened: {body['size']} bytes in all, sha256 {body['sha256']}]"
    return text


def exchange_lines(exchange: dict[str, Any], full: bool) -> list[str]:
    request, response = exchange["request"], exchange.get("response")
    elapsed = exchange.get("elapsed")
    took = f" ({elapsed * 1000:.0f} ms)" if isinstance(elapsed, (int, float)) else ""
    answer = (f"{response['status']} {response['reason']}".strip() if response else f"no answer: {exchange.get('error')}")
    lines = [f"#{exchange['seq']} [{exchange['target']}] {request['method']} {request['url']} -> {answer}{took}"]
    if not full:
        return lines
    lines += [f"    > {name}: {value}" for name, value in request["headers"]]
    if request["body"]["size"]:
        lines += ["    > " + line for line in _body(request["body"]).splitlines()]
    if response:
        lines.append(f"    < {response['http_version']} {response['status']} {response['reason']}".rstrip())
        lines += [f"    < {name}: {value}" for name, value in response["headers"]]
        lines += ["    < " + line for line in _body(response["body"]).splitlines()]
    return lines


def _failure_text(view: CheckView, document: Document, kinds: tuple[str, ...]) -> str:
    statements = {r["id"]: r["statement"] for r in document["requirements"]}
    lines: list[str] = []
    important: set[int] = set()
    for failure in (f for f in view.failures if f.kind in kinds):
        data = failure.failure
        lines.append(f"{failure.rid} ({failure.level}) {statements.get(failure.rid, '')}")
        lines.append(f"  failed: {data['reason']}")
        if failure.expected_reason:
            lines.append(f"  listed as an expected failure: {failure.expected_reason}")
        for label in ("expected", "actual"):
            if data.get(label) is not None:
                lines.append(f"  {label}: {data[label]}")
        shown = sorted(data.get("exchanges", []), key=lambda e: e["target"] == "mock")[:EXCHANGES_SHOWN]
        if shown:
            lines.append("  exchanges:")
            for exchange in shown:
                important.add(exchange["seq"])
                lines += ["    " + line for line in exchange_lines(exchange, full=exchange["target"] != "mock")]
            if len(data["exchanges"]) > len(shown):
                lines.append(f"    ... and {len(data['exchanges']) - len(shown)} more in the HTML or JSON report")
        if data.get("reproduction"):
            lines.append("  reproduce:")
            lines += ["    " + line for line in data["reproduction"].splitlines()]
        lines.append("")
    lines += _timeline_lines(view, document, important)
    return "\n".join(lines)


def _timeline_lines(view: CheckView, document: Document, important: set[int]) -> list[str]:
    found = timelines.timelines(view.check, document["parameters"])
    chosen = timelines.select(found, TIMELINES_SHOWN, important)
    lines = []
    for item in chosen:
        lines += ["timeline " + line if i == 0 else line for i, line in enumerate(timelines.describe(item))]
    if len(found) > len(chosen):
        lines.append(f"({len(found) - len(chosen)} more request timelines in the HTML report)")
    return lines


def _verdict_lines(view: CheckView) -> str:
    lines = [f"{view.name}: {view.check.get('description', '')}"]
    for verdict in view.verdicts:
        text = verdict.get("observed") or verdict.get("reason") or ""
        lines.append(f"  {verdict['id']}: {verdict['outcome']}" + (f" ({text})" if text else ""))
        lines += [f"      note: {note}" for note in verdict.get("notes", [])]
    for rid in view.unexpected_passes:
        lines.append(f"  {rid} passed although the expected-failures file lists it: remove it from the file")
    return "\n".join(lines)


def _first_line(text: str, limit: int = 300) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _baseline_file(document: Document) -> str:
    return document.get("selection", {}).get("expected_failures_file") or "the expected-failures file"


def _stale(view: CheckView, document: Document) -> bool:
    """A check that passed an ID its expected-failures entry says fails: the run fails on it, so JUnit does too."""
    return view.outcome in ("passed", "skipped") and bool(view.unexpected_passes) \
        and not document["summary"].get("allow_stale", True)  # absent: a document from before the rule


def _testcase(parent: ET.Element, view: CheckView, document: Document) -> None:
    case = ET.SubElement(parent, "testcase", {
        "name": _clean(view.node_name),
        "classname": _clean(f"conformance.{view.family}"),
        "time": f"{max(view.check.get('duration') or 0.0, 0.0):.3f}",
    })
    if view.outcome == "error":
        first = next((f.headline for f in view.failures), "the suite could not judge this check")
        error = ET.SubElement(case, "error", {"message": _clean(_first_line(first)), "type": "conformance.error"})
        error.text = _clean(view.check.get("error") or first)
    elif view.outcome == "failed":
        counting = [f for f in view.failures if f.kind == "failed"]
        message = counting[0].headline + (f" (+{len(counting) - 1} more)" if len(counting) > 1 else "")
        failure = ET.SubElement(case, "failure", {"message": _clean(_first_line(message)),
                                                  "type": f"conformance.{counting[0].level}"})
        failure.text = _clean(_failure_text(view, document, ("failed",)))
    elif view.outcome in ("warning", "expected"):
        first = next(f for f in view.failures if f.kind == view.outcome)
        prefix = "SHOULD not met (does not fail the run)" if view.outcome == "warning" else "expected failure"
        more = len(view.failures) - 1
        message = f"{prefix}: {first.headline}" + (f" (+{more} more)" if more else "")
        skipped = ET.SubElement(case, "skipped", {"message": _clean(_first_line(message))})
        skipped.text = _clean(_failure_text(view, document, ("warning", "expected")))
    elif _stale(view, document):
        message = "; ".join(f"{rid} now passes: remove it from {_baseline_file(document)}" for rid in view.unexpected_passes)
        failure = ET.SubElement(case, "failure", {"message": _clean(_first_line(message)), "type": "conformance.stale"})
        failure.text = _clean(message + "\n(a stale expected failure fails the run unless --allow-stale)")
    elif view.outcome == "skipped":
        ET.SubElement(case, "skipped", {"message": _clean(_first_line(f"not judged: {view.skip_reason}"))})
    out = ET.SubElement(case, "system-out")
    out.text = _clean(_verdict_lines(view))


def render_junit(document: Document) -> str:
    """The JUnit XML text of a result document."""
    views = checks(document)
    families: dict[str, list[CheckView]] = {}
    for view in views:
        families.setdefault(view.family, []).append(view)
    summary = document["summary"]
    root = ET.Element("testsuites", {"name": _clean(document.get("tool", {}).get("name", "conformance"))})
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for name, members in families.items():
        counts = {
            "tests": len(members),
            "failures": sum(v.outcome == "failed" or _stale(v, document) for v in members),
            "errors": sum(v.outcome == "error" for v in members),
            "skipped": sum(v.outcome in ("warning", "expected", "skipped") and not _stale(v, document) for v in members),
        }
        for key, value in counts.items():
            totals[key] += value
        suite = ET.SubElement(root, "testsuite", {
            "name": _clean(name), **{k: str(v) for k, v in counts.items()},
            "time": f"{sum(v.check.get('duration') or 0.0 for v in members):.3f}",
            "timestamp": _clean(summary.get("started_at", "")),
        })
        properties = ET.SubElement(suite, "properties")
        versions = (("kit_version", document.get("tool", {}).get("version", "unknown")),
                    ("contract_version", document.get("contract", {}).get("version", "unknown")))
        for key, value in (*versions, ("gateway", document["target"]["gateway"]),
                           ("container_url", document["target"]["container_url"]),
                           *((f"parameter.{k}", v) for k, v in document["parameters"].items() if v is not None)):
            ET.SubElement(properties, "property", {"name": _clean(key), "value": _clean(value)})
        for view in members:
            _testcase(suite, view, document)
    root.attrib.update({k: str(v) for k, v in totals.items()})
    root.set("time", f"{float(summary.get('duration') or 0.0):.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(document: Document, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_junit(document), encoding="utf-8")
    return path
