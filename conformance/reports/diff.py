"""What changed between two runs, requirement by requirement, and whether the contract or the gateway changed it.

`conformance diff BASE.json NEW.json` and `conformance run --baseline
BASE.json` read two result documents (dicts, as saved by `--json`) and list
per requirement ID what moved:

- fixed (failed -> passed), regressed (not failed -> failed),
- new ID / removed ID (reported by one run only),
- level changed, wording changed (what the ID judges), form changed (a legal
  variant the gateway uses, e.g. Status names -> integers),
- now judged / no longer judged / observation changed (informational).

Each change carries its cause: `contract` when the contract changelog
explains it (the two runs judged different contract versions and a release
between them added, retired, re-levelled or re-worded the ID); `selection`
when the runs did not select the same IDs (-k, --level); `kit` when the same
contract version disagrees (different kit versions judged it); `gateway`
otherwise. Any regression, whatever its cause, makes the diff exit 1.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from conformance.contract import changelog
from conformance.contract.changelog import Change as Logged
from conformance.reports.view import DocumentError

__all__ = ["Kind", "Cause", "Change", "RunInfo", "Diff", "diff_documents", "render_console", "REGRESSION_EXIT"]

Document = dict[str, Any]

REGRESSION_EXIT = 1


class Kind(str, enum.Enum):
    REGRESSED = "regressed"
    FIXED = "fixed"
    NEW_ID = "new ID"
    REMOVED_ID = "removed ID"
    LEVEL = "level changed"
    WORDING = "wording changed"
    FORM = "form changed"
    NOW_JUDGED = "now judged"
    NOT_JUDGED = "no longer judged"
    OBSERVED = "observation changed"


#: the order a reader wants them in: what fails the gate first
ORDER = list(Kind)


class Cause(str, enum.Enum):
    GATEWAY = "gateway"
    CONTRACT = "contract"
    SELECTION = "selection"
    KIT = "kit"


@dataclass
class Change:
    id: str
    kind: Kind
    level: str
    before: str
    after: str
    cause: Cause
    why: str


@dataclass
class RunInfo:
    gateway: str
    kit: str
    contract: str | None
    started_at: str
    verdict: str
    selection: str

    @property
    def contract_label(self) -> str:
        return self.contract or "unknown (written before contract versions were recorded)"


@dataclass
class Diff:
    base: RunInfo
    new: RunInfo
    changes: list[Change] = field(default_factory=list)
    #: the contract releases that separate the two runs (none: the same contract)
    releases: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> list[Change]:
        return [change for change in self.changes if change.kind is Kind.REGRESSED]

    @property
    def exit_code(self) -> int:
        return REGRESSION_EXIT if self.regressions else 0

    @property
    def contract_changed(self) -> bool:
        return self.base.contract != self.new.contract

    def of_kind(self, kind: Kind) -> list[Change]:
        return [change for change in self.changes if change.kind is kind]

    def headline(self) -> str:
        if not self.changes:
            return "no change"
        counts: dict[str, int] = {}
        for change in self.changes:
            counts[change.kind.value] = counts.get(change.kind.value, 0) + 1
        parts = [f"{n} {kind}" for kind, n in sorted(counts.items(), key=lambda item: ORDER.index(Kind(item[0])))]
        return ", ".join(parts)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _requirements(document: Document, name: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    items = document.get("requirements")
    if not isinstance(items, list):
        raise DocumentError(f"{name}: `requirements` is not a list; is it a `conformance run --json` document?")
    for number, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not isinstance(item.get("outcome"), str):
            raise DocumentError(f"{name}: requirement #{number} has no id or outcome")
        found[item["id"]] = item
    return found


def _info(document: Document) -> RunInfo:
    selection = document.get("selection") if isinstance(document.get("selection"), dict) else {}
    prefixes = [p for p in selection.get("prefixes") or [] if isinstance(p, str)]
    levels = [lv for lv in selection.get("levels") or [] if isinstance(lv, str)]
    described = " ".join([*(f"-k {p}" for p in prefixes), *(f"--level {lv}" for lv in levels)]) or "every ID"
    tool = document.get("tool") if isinstance(document.get("tool"), dict) else {}
    contract = document.get("contract") if isinstance(document.get("contract"), dict) else {}
    target = document.get("target") if isinstance(document.get("target"), dict) else {}
    summary = document.get("summary") if isinstance(document.get("summary"), dict) else {}
    return RunInfo(_text(target.get("gateway")), _text(tool.get("version")) or "unknown",
                   _text(contract.get("version")) or None, _text(summary.get("started_at")),
                   _text(summary.get("verdict")), described)


def _selected(document: Document, rid: str, level: str) -> bool:
    """Whether the run's selection (kind, -k, --level) covers the ID, whatever it then reported."""
    target = document.get("target") if isinstance(document.get("target"), dict) else {}
    if (target.get("mode") == "container") != rid.startswith("CT-"):
        return False
    selection = document.get("selection") if isinstance(document.get("selection"), dict) else {}
    prefixes = [p for p in selection.get("prefixes") or [] if isinstance(p, str)]
    levels = [lv for lv in selection.get("levels") or [] if isinstance(lv, str)]
    return (not prefixes or any(rid.startswith(p) for p in prefixes)) and (not levels or level in levels)


class _Explainer:
    """The changelog's view of one ID between the two runs' contract versions."""

    def __init__(self, base: RunInfo, new: RunInfo, history: Sequence[changelog.Release]) -> None:
        self.base, self.new, self.history = base, new, history
        newer = changelog.version_key(new.contract) or (999,)
        older = changelog.version_key(base.contract) or (-1,)
        #: the base run judged the newer contract (a downgrade): the changelog reads backwards
        self.backwards = older > newer

    def entries(self, rid: str, *kinds: Logged) -> list[tuple[changelog.Release, changelog.Entry]]:
        if self.base.contract == self.new.contract:
            return []  # the same contract (or two documents that both predate versions: nothing to tell them apart)
        found = changelog.changes_of(rid, self.base.contract, self.new.contract, self.history)
        return [(release, entry) for release, entry in found if not kinds or entry.change in kinds]

    def why(self, found: list[tuple[changelog.Release, changelog.Entry]]) -> str:
        text = "; ".join(f"contract {release.version}: {entry.describe()}" for release, entry in found)
        if self.backwards:
            text += f" (the base run judged contract {self.base.contract}, this run {self.new.contract})"
        return text


def _absent(document: Document, who: str, rid: str, level: str, kit_differs: bool) -> tuple[Cause, str]:
    """Why a run that did not report an ID did not, when the contract does not explain it."""
    if not _selected(document, rid, level):
        return Cause.SELECTION, f"{who} did not select it ({_info(document).selection})"
    if kit_differs:
        return Cause.KIT, f"{who} selected it, but its kit has no check for it"
    return Cause.GATEWAY, f"{who} selected it, but no check reported a verdict on it"


def _id_changes(rid: str, base: dict[str, Any] | None, new: dict[str, Any] | None, documents: tuple[Document, Document],
                explain: _Explainer) -> list[Change]:
    kit_differs = explain.base.kit != explain.new.kit
    current = new or base
    assert current is not None
    level = _text(current.get("level"))
    if base is None or new is None:
        kind = Kind.NEW_ID if base is None else Kind.REMOVED_ID
        logged = explain.entries(rid, Logged.ADDED, Logged.RETIRED)
        if logged:
            cause, why = Cause.CONTRACT, explain.why(logged)
        else:
            missing_in, who = (documents[0], "the base run") if base is None else (documents[1], "the new run")
            cause, why = _absent(missing_in, who, rid, level, kit_differs)
        before = "—" if base is None else base["outcome"]
        after = "—" if new is None else new["outcome"]
        return [Change(rid, kind, level, before, after, cause, why)]
    changes = []
    levels = explain.entries(rid, Logged.LEVEL)
    if base.get("level") != new.get("level"):
        cause, why = (Cause.CONTRACT, explain.why(levels)) if levels else (
            Cause.KIT, "the same contract version with another level: the two kits disagree")
        changes.append(Change(rid, Kind.LEVEL, level, _text(base.get("level")), level, cause, why))
    worded = explain.entries(rid, Logged.WORDING)
    if worded or base.get("statement") != new.get("statement"):
        cause, why = (Cause.CONTRACT, explain.why(worded)) if worded else (
            Cause.KIT, "the kit's one-line statement was reworded; the contract version is the same")
        changes.append(Change(rid, Kind.WORDING, level, "", "", cause, why))
    was, now = base["outcome"], new["outcome"]
    kind = None
    if was == "failed" and now == "passed":
        kind = Kind.FIXED
    elif now == "failed" and was != "failed":
        kind = Kind.REGRESSED
    elif now == "skipped" and was != "skipped":
        kind = Kind.NOT_JUDGED
    elif was == "skipped" and now != "skipped":
        kind = Kind.NOW_JUDGED
    elif was == now == "observed" and base.get("observed") != new.get("observed"):
        kind = Kind.OBSERVED
    if kind is None:
        return changes
    before, after = was, now
    if kind is Kind.OBSERVED:
        before, after = _text(base.get("observed")), _text(new.get("observed"))
    reason = _text(new.get("reason")) if now in ("failed", "skipped") else ""
    if worded or levels:
        cause, why = Cause.CONTRACT, "what it judges changed: " + explain.why(worded + levels)
    elif kit_differs and kind in (Kind.NOW_JUDGED, Kind.NOT_JUDGED):
        cause, why = Cause.KIT, reason or "the kits judge it differently"
    else:
        cause, why = Cause.GATEWAY, reason
    changes.append(Change(rid, kind, level, before, after, cause, why))
    return changes


def _form_changes(base: Document, new: Document, base_reqs: dict[str, Any], new_reqs: dict[str, Any]) -> list[Change]:
    def forms(document: Document) -> dict[str, str]:
        summary = document.get("summary") if isinstance(document.get("summary"), dict) else {}
        found = summary.get("gateway_forms") if isinstance(summary.get("gateway_forms"), dict) else {}
        return {str(k): str(v) for k, v in found.items()}

    def owner(key: str) -> tuple[str, str]:
        for reqs in (new_reqs, base_reqs):
            for rid, req in reqs.items():
                if isinstance(req.get("data"), dict) and key in req["data"]:
                    return rid, _text(req.get("level"))
        return key, ""

    was, now = forms(base), forms(new)
    changes = []
    for key in sorted(set(was) | set(now)):
        if was.get(key) == now.get(key) or key not in was or key not in now:
            continue  # a form only one run judged is that requirement's new or removed ID
        rid, level = owner(key)
        changes.append(Change(rid, Kind.FORM, level, was[key], now[key], Cause.GATEWAY,
                              f"{key.replace('_', ' ')}: both forms are legal; clients that parse only one notice"))
    return changes


def diff_documents(base: Document, new: Document, *, base_name: str = "BASE", new_name: str = "NEW",
                   history: Sequence[changelog.Release] = changelog.CHANGELOG) -> Diff:
    """The changes from the `base` run to the `new` run (both `--json` documents, as dicts)."""
    base_reqs, new_reqs = _requirements(base, base_name), _requirements(new, new_name)
    info = Diff(_info(base), _info(new))
    explain = _Explainer(info.base, info.new, history)
    if info.base.contract != info.new.contract:
        info.releases = [release.version for release in changelog.between(info.base.contract, info.new.contract, history)]
    order = list(new_reqs) + [rid for rid in base_reqs if rid not in new_reqs]
    changes = []
    for rid in order:
        changes += _id_changes(rid, base_reqs.get(rid), new_reqs.get(rid), (base, new), explain)
    changes += _form_changes(base, new, base_reqs, new_reqs)
    position = {rid: index for index, rid in enumerate(order)}
    info.changes = sorted(changes, key=lambda c: (ORDER.index(c.kind), position.get(c.id, len(position))))
    return info


STYLE = {Kind.REGRESSED: "bold red", Kind.FIXED: "green", Kind.NEW_ID: "cyan", Kind.REMOVED_ID: "yellow",
         Kind.LEVEL: "magenta", Kind.WORDING: "magenta", Kind.FORM: "blue"}


def describe_runs(diff: Diff) -> list[str]:
    """Which two runs are compared, and whether their contract or kit differ: the lines above the table."""
    base, new = diff.base, diff.new
    lines = [f"base: {base.gateway or '?'} ({base.started_at or 'time unknown'}; {base.selection}; kit {base.kit}, "
             f"contract {base.contract_label})",
             f"new:  {new.gateway or '?'} ({new.started_at or 'time unknown'}; {new.selection}; kit {new.kit}, "
             f"contract {new.contract_label})"]
    if diff.contract_changed:
        between = ", ".join(diff.releases) or "none known to this kit"
        lines.append(f"The contract changed between the runs (releases: {between}); changes it explains are marked "
                     "`contract`, the rest are the gateway's (or the selection's).")
    elif base.kit != new.kit:
        lines.append("Same contract, different kits: a change marked `kit` comes from the kit, not the gateway.")
    return lines


def render_console(diff: Diff, console: Console) -> None:
    for line in describe_runs(diff):
        console.print(Text(line))
    if not diff.changes:
        console.print(Text("No requirement changed.", style="green"))
        return
    table = Table(title="Changes per requirement", title_justify="left", expand=True)
    for name, options in (("ID", {"no_wrap": True}), ("level", {"no_wrap": True}), ("change", {"no_wrap": True}),
                          ("before -> after", {}), ("cause", {"no_wrap": True}), ("why", {"ratio": 1})):
        table.add_column(name, **options)  # type: ignore[arg-type]
    for change in diff.changes:
        moved = f"{change.before} -> {change.after}" if change.before or change.after else ""
        table.add_row(change.id, change.level, Text(change.kind.value, style=STYLE.get(change.kind, "")), Text(moved),
                      change.cause.value, Text(change.why))
    console.print(table)
    regressions = diff.regressions
    if regressions:
        console.print(Text(f"{len(regressions)} regression(s): {', '.join(c.id for c in regressions)} -> FAIL",
                           style="bold red"))
    else:
        console.print(Text(f"No regression ({diff.headline()})", style="bold green"))
