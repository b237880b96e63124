"""An expected-failures file recorded from a run: how a team adopts the kit on a gateway that fails today.

`conformance report RUN.json --expected-failures-out FILE` writes every MUST
and SHOULD requirement the run failed, with its first reason, as the YAML
form `--expected-failures` reads. Committed, it turns today's failures into
the baseline; the stale rule then makes each fix remove its own line.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["expected_failures_yaml", "REASON_CHARS"]

REASON_CHARS = 200


def _reason(requirement: dict[str, Any]) -> str:
    failures = requirement.get("failures") or []
    text = (failures[0].get("reason") if failures else None) or requirement.get("reason") or "failed"
    line = " ".join(str(text).split())
    return line if len(line) <= REASON_CHARS else line[: REASON_CHARS - 1] + "…"


def expected_failures_yaml(document: dict[str, Any], source: str = "RUN.json") -> str:
    """The YAML expected-failures file of a result document (a dict): its failed MUST and SHOULD IDs."""
    failed = {r["id"]: f"{r.get('level', '?')}: {_reason(r)}" for r in document["requirements"]
              if r.get("outcome") == "failed" and r.get("level") in ("MUST", "SHOULD")}
    target = (document.get("target") or {}).get("gateway", "?")
    contract = (document.get("contract") or {}).get("version", "unknown")
    header = (f"# Expected failures recorded from {source} ({target}, contract {contract}).\n"
              "# A listed requirement that passes fails the run: delete its line in the change that fixes it.\n")
    if not failed:
        return header + "# Nothing failed: no entry.\n{}\n"
    return header + yaml.safe_dump(failed, sort_keys=False, allow_unicode=True, width=1_000)
