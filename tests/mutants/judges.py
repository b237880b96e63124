"""Which checks judge which requirement, and which of those pairs a mutant proves.

A requirement judged by several checks is proven check by check: a mutant
aimed at a check (its AIMED_AT) proves that this check fails the ID by
itself. A pair no mutant proves is named in `UNPROVEN` with the reason, so
the report says which check is then the ID's only proven judge, and a new
check that judges an ID without a mutant aimed at it fails the proof until
it gets one or a reason here.
"""

from __future__ import annotations

from collections.abc import Iterable

from conformance.checks import Check
from conformance.contract import catalogue

__all__ = ["UNPROVEN", "judges_of", "proven_pairs"]

#: (requirement, check) -> why no mutant is aimed at that check for that requirement
UNPROVEN: dict[tuple[str, str], str] = {}


def judges_of(checks: Iterable[Check]) -> dict[str, list[str]]:
    """MUST and SHOULD gateway ID -> the checks that judge it, in run order."""
    judges: dict[str, list[str]] = {}
    for check in checks:
        for rid in check.ids:
            if rid.startswith("GW-") and catalogue.get(rid).level is not catalogue.Level.INFO:
                judges.setdefault(rid, []).append(check.name)
    return judges


def proven_pairs(mutants: Iterable) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    """(requirement, check) pairs a mutant is aimed at (UNCAUGHT mutants prove nothing)."""
    return {(m.breaks, check) for m in mutants if not m.uncaught for check in m.aimed_at}
