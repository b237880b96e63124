"""The mutant score, printed in pytest's terminal summary.

Each proof case (test_mutant_proof.py) attaches what it saw to its report
with `record_property(KEY, {...})`. This plugin reads those reports in
`pytest_runtest_logreport`, which with pytest-xdist runs on the controller
for every worker's reports, and prints the score once at the end, so
`pytest -n 3` shows it like a plain run does.

Registered by tests/conftest.py (`pytest_plugins`): a conftest in this
folder would not be loaded by the xdist controller when pytest is run on
`tests/` as a whole, and its summary would never print.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from conformance.contract import catalogue

__all__ = ["KEY", "LEGAL_KEY", "Score"]

#: record_property name of a mutant case: {"mutant", "breaks", "level", "outcome", "caught", "aimed_at",
#: "failed_by" (the checks whose own verdict on BREAKS was "failed"), "also", "uncaught"}
KEY = "mutant_proof"
#: record_property name of a legal variant case: {"variant", "verdict", "legally_failed"}
LEGAL_KEY = "legal_variant_proof"


class Score:
    """The session's collector: one entry per finished proof case."""

    def __init__(self) -> None:
        self.mutants: list[dict[str, Any]] = []
        self.legal: list[dict[str, Any]] = []

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        for name, value in report.user_properties:
            if name == KEY:
                self.mutants.append(dict(value, passed=report.passed, xfail=hasattr(report, "wasxfail")))
            elif name == LEGAL_KEY:
                self.legal.append(dict(value, passed=report.passed))

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.mutants and not self.legal:
            return
        write = terminalreporter.write_line
        terminalreporter.section("mutant score")
        if self.mutants:
            self._write_mutants(write)
        if self.legal:
            passing = sum(1 for entry in self.legal if entry["passed"])
            write(f"legal variants passing the full suite: {passing}/{len(self.legal)}")
            for entry in sorted(self.legal, key=lambda e: e["variant"]):
                extra = f" (legally fails {', '.join(entry['legally_failed'])})" if entry["legally_failed"] else ""
                write(f"  {'ok  ' if entry['passed'] else 'FAIL'} {entry['variant']}{extra}")

    def _write_mutants(self, write: Any) -> None:
        caught = [m for m in self.mutants if m["caught"]]
        write(f"mutants caught: {len(caught)}/{len(self.mutants)}")
        by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for entry in self.mutants:
            by_id[entry["breaks"]].append(entry)
        proven = [rid for rid, entries in by_id.items() if any(e["caught"] for e in entries)]
        levels: dict[str, int] = defaultdict(int)
        for rid in proven:
            levels[by_id[rid][0]["level"]] += 1
        detail = ", ".join(f"{count} {level}" for level, count in sorted(levels.items()))
        write(f"GW MUST and SHOULD requirements proven by a caught mutant in this run: "
              f"{len(proven)}/{len(_judged_ids())} ({detail})")
        for rid in sorted(by_id, key=_contract_order):
            for entry in sorted(by_id[rid], key=lambda e: e["mutant"]):
                mark = "caught" if entry["caught"] else ("GAP   " if entry["uncaught"] else "MISSED")
                also = f" (+ {', '.join(entry['also'])})" if entry["also"] else ""
                clean = "" if entry["passed"] or entry["xfail"] else "  [case failed: see above]"
                write(f"  {rid:<13} {entry['level']:<6} {mark} {entry['mutant']}{also}{clean}")
                missed = [check for check in entry.get("aimed_at", []) if check not in entry.get("failed_by", [])]
                write(f"  {'':<13} {'':<6}        aimed at {', '.join(entry.get('aimed_at', []))}"
                      + (f"; NOT failed by {', '.join(missed)}" if missed else ""))
                if entry["uncaught"]:
                    write(f"  {'':<13} {'':<6}        known gap: {entry['uncaught']}")
        self._write_judges(write)

    def _write_judges(self, write: Any) -> None:
        """Per ID judged by several checks: which of them a mutant aimed at it proved in this run."""
        from conformance.checks import all_checks
        from tests.mutants.judges import UNPROVEN, judges_of

        proven = {(m["breaks"], check) for m in self.mutants if m["caught"] and not m["uncaught"]
                  for check in m.get("aimed_at", []) if check in m.get("failed_by", [])}
        judges = judges_of(all_checks())
        pairs = [(rid, check) for rid, checks in judges.items() for check in checks if rid in {m["breaks"] for m in self.mutants}]
        write(f"checks proven to fail a requirement by themselves: {sum(p in proven for p in pairs)}/{len(pairs)} "
              f"(requirement, check) pairs of the requirements run")
        for rid, checks in sorted(judges.items(), key=lambda item: _contract_order(item[0])):
            unproven = [check for check in checks if (rid, check) not in proven and (rid, check) in pairs]
            if len(checks) > 1 and unproven:
                proven_here = [check for check in checks if (rid, check) in proven]
                write(f"  {rid}: only proven judge(s) {', '.join(proven_here) or 'none'}; not proven: "
                      + ", ".join(f"{check}" + (f" ({UNPROVEN[(rid, check)]})" if (rid, check) in UNPROVEN else "")
                                  for check in unproven))


def _judged_ids() -> list[str]:
    """Every gateway requirement a check can fail (INFO ones are only observed)."""
    return [req.id for req in catalogue.gateway_requirements() if req.level is not catalogue.Level.INFO]


def _contract_order(rid: str) -> int:
    order = list(catalogue.REQUIREMENTS)
    return order.index(rid) if rid in order else len(order)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(Score(), "mutant-score")
