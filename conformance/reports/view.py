"""The reading of a result document that every file renderer shares (JUnit, HTML).

Renderers take the JSON document (a dict, `ResultDocument.to_dict()` or a
saved `--json` file), so a report can be rendered again later. This module
decides, in one place, what a check's outcome is in a report and which
failures belong to it.

A check's outcome, worst first:
- `error`: the suite could not judge (the mock did not answer, a bug in a check);
- `failed`: a requirement it covers failed and counts (a MUST, or a SHOULD under --strict),
  and is not listed in the expected-failures file;
- `warning`: only SHOULD failures that do not fail the run;
- `expected`: only failures listed in the expected-failures file;
- `skipped`: nothing it covers could be judged;
- `passed`: everything else (INFO observations included).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CheckView", "FailureView", "DocumentError", "load", "checks", "family", "OUTCOME_ORDER"]

Document = dict[str, Any]

OUTCOME_ORDER = ("error", "failed", "warning", "expected", "skipped", "passed")


class DocumentError(ValueError):
    """A file that is not a conformance result document this version can render."""


def load(path: str | Path) -> Document:
    """Read a saved `--json` result document; DocumentError says what is wrong with it."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise DocumentError(f"{path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DocumentError(f"{path}: not a UTF-8 text file") from None
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise DocumentError(f"{path}: not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise DocumentError(f"{path}: not a conformance result document (the top level is not an object)")
    missing = [key for key in ("schema_version", "summary", "requirements", "checks", "parameters", "target")
               if key not in document]
    if missing:
        raise DocumentError(f"{path}: not a conformance result document (no {', '.join(missing)})")
    version = str(document["schema_version"])
    if not version.startswith("1."):
        raise DocumentError(f"{path}: schema_version {version} is not supported (this version renders 1.x)")
    return document


def family(rid: str) -> str:
    """`GW-ASYNC-05` -> `GW-ASYNC`."""
    return rid.rsplit("-", 1)[0]


@dataclass
class FailureView:
    """One failure of one requirement, as judged in one check."""

    rid: str
    level: str
    kind: str  # "failed", "warning" or "expected"
    failure: dict[str, Any]  # the requirement failure: reason, expected, actual, exchanges, reproduction
    expected_reason: str | None = None

    @property
    def headline(self) -> str:
        return f"{self.rid} ({self.level}): {self.failure['reason']}"


@dataclass
class CheckView:
    check: dict[str, Any]
    outcome: str
    ids: list[str]  # the IDs of this run's selection it judged
    verdicts: list[dict[str, Any]]
    failures: list[FailureView] = field(default_factory=list)
    #: IDs it passed although the expected-failures file lists them (the file wants cleaning)
    unexpected_passes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.check["name"]

    @property
    def family(self) -> str:
        """The family of its first ID: a check covering several families is filed under its main one."""
        return family(self.check["ids"][0])

    @property
    def node_name(self) -> str:
        """`name[ID,ID]`: the name pytest items and -k use too."""
        return f"{self.name}[{','.join(self.check['ids'])}]"

    @property
    def skip_reason(self) -> str:
        return "; ".join(dict.fromkeys(v["reason"] for v in self.verdicts if v["outcome"] == "skipped")) or "not judged"


def _failure_kind(requirement: dict[str, Any], strict: bool, check: str) -> str:
    listed = requirement.get("expected_failure")
    if listed is not None and (not listed.get("checks") or check in listed["checks"]):
        return "expected"  # an entry naming checks excuses only their failures
    if requirement["level"] == "MUST" or (strict and requirement["level"] == "SHOULD"):
        return "failed"
    return "warning"


def checks(document: Document) -> list[CheckView]:
    """Every check of the run with its report outcome and its failures (with their reproductions)."""
    requirements = {r["id"]: r for r in document["requirements"]}
    strict = bool(document["summary"].get("strict"))
    views = []
    for check in document["checks"]:
        verdicts = [v for v in check.get("verdicts", []) if v["id"] in requirements]
        failures = []
        for verdict in verdicts:
            requirement = requirements[verdict["id"]]
            if verdict["outcome"] != "failed" or requirement["outcome"] != "failed":
                continue
            kind = _failure_kind(requirement, strict, check["name"])
            expected = (requirement.get("expected_failure") or {}).get("reason")
            for failure in requirement.get("failures", []):
                if failure["check"] == check["name"]:
                    failures.append(FailureView(verdict["id"], requirement["level"], kind, failure, expected))
        kinds = {f.kind for f in failures}
        if check.get("status") == "error":
            outcome = "error"
        elif kinds:
            outcome = next(kind for kind in OUTCOME_ORDER if kind in kinds)
        elif verdicts and all(v["outcome"] == "skipped" for v in verdicts):
            outcome = "skipped"
        else:
            outcome = "passed"
        unexpected = [v["id"] for v in verdicts
                      if (requirements[v["id"]].get("expected_failure") or {}).get("unexpectedly_passed")]
        views.append(CheckView(check, outcome, [v["id"] for v in verdicts], verdicts, failures, unexpected))
    return views
