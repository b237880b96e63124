"""The search behind every property check, on a stand-in judge (no HTTP): what it reports and how.

A judge fails even integers above 9 on a MUST and integers ending in 3 on
a SHOULD; the search must report both, each shrunk to its smallest example,
the same way every run, and must tell the gateway's failures from the
suite's own.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import strategies as st

from conformance.judge.config import SuiteConfig
from conformance.checks.search import (
    DEFAULT_EXAMPLES,
    EXPLORE_FACTOR,
    Budget,
    SearchResult,
    Violation,
    report,
    search,
)
from conformance.judge.model import Outcome
from conformance.checks.instrument import InstrumentError
from conformance.judge.verdicts import Blocked, Failure, Ledger

MUST, SHOULD, OTHER = "GW-SYNC-01", "GW-SYNC-03", "GW-SYNC-02"


@dataclass
class Transcript:
    def seqs(self, case: str | None = None) -> list[int]:
        return [hash(case) % 1000]


@dataclass
class Ctx:
    config: SuiteConfig = field(default_factory=lambda: SuiteConfig(gateway="http://gw/mock", container_url="http://mock"))
    transcript: Transcript = field(default_factory=Transcript)
    ledger: Ledger = field(default_factory=lambda: Ledger((MUST, SHOULD, OTHER)))

    def note(self, rid: str, text: str) -> None:
        self.ledger.note(rid, text)


async def judge(x: int) -> None:
    if x > 9 and x % 2 == 0:
        raise Violation((MUST,), f"{x} is too big", expected="at most 9", actual=x)
    if x % 10 == 3:
        raise Violation((SHOULD,), f"{x} ends in 3")


#: the stand-in judge answers at once, so shrinking ends in well under a second on an idle machine; the run's
#: 6 s budget could still cut it short on a loaded one (it did once under `-n 3`), and these tests are about
#: what shrinking finds, not how fast: test_shrinking_stops_at_its_budget... judges the budget itself
UNHURRIED = Budget(shrink_limit=120.0)


def run(judge=judge, budget: Budget = UNHURRIED, ctx: Ctx | None = None, ids_of=lambda x: (MUST, SHOULD)) -> SearchResult:  # type: ignore[no-untyped-def]
    ctx = ctx or Ctx()
    return asyncio.run(search(ctx, "stand-in", st.integers(0, 10**6), judge, ids_of=ids_of, describe=repr, budget=budget))


def test_each_failed_requirement_gets_its_own_shrunk_counterexample() -> None:
    result = run()
    found = {v.rids: v for v in result.violations}
    assert set(found) == {(MUST,), (SHOULD,)}
    assert found[(MUST,)].example == "10"  # the smallest even number above 9
    assert int(found[(SHOULD,)].example) % 10 == 3 and int(found[(SHOULD,)].example) < 100  # shrunk from up to 10**6
    failure = found[(MUST,)].failure()
    assert "generated example: 10" in failure.reason and failure.expected == "at most 9" and failure.exchanges


def test_the_same_budget_finds_the_same_examples_every_run() -> None:
    first, second = run(), run()
    assert [(v.rids, v.example) for v in first.violations] == [(v.rids, v.example) for v in second.violations]
    assert first.examples == second.examples


def test_a_passing_search_runs_its_whole_budget_and_counts_what_each_id_saw() -> None:
    async def never(x: int) -> None:
        return None

    result = run(never, Budget(examples=25, shrink_limit=UNHURRIED.shrink_limit))
    assert not result.violations and result.examples == 25
    assert result.coverage[MUST] == result.coverage[SHOULD] == 25


def test_the_ledger_fails_violated_ids_skips_unreached_ones_and_passes_the_rest() -> None:
    ctx = Ctx()
    report(ctx, run(ctx=ctx), (MUST, SHOULD, OTHER))
    verdicts = {v.id: v for v in ctx.ledger.close()}
    assert verdicts[MUST].outcome is Outcome.FAILED and verdicts[SHOULD].outcome is Outcome.FAILED
    assert verdicts[OTHER].outcome is Outcome.SKIPPED and "raise --examples" in verdicts[OTHER].reason


def test_a_failure_the_judge_did_not_name_fails_the_examples_first_id() -> None:
    async def no_answer(x: int) -> None:
        raise Failure("the gateway gave no answer", actual="ConnectError")

    result = run(no_answer, ids_of=lambda x: (OTHER, MUST))
    assert [v.rids for v in result.violations] == [(OTHER,)]
    assert result.violations[0].example == "0"


def test_a_failed_precondition_ends_the_search_and_leaves_the_ids_unjudged() -> None:
    async def not_accepted(x: int) -> None:
        if x > 5:
            raise Blocked("the respond-async submission was answered 200, not 202 (judged by GW-ASYNC-01)")

    ctx = Ctx()
    result = run(not_accepted, ctx=ctx)
    assert result.blocked and "judged by GW-ASYNC-01" in result.blocked and not result.violations
    report(ctx, result, (MUST, SHOULD))
    verdicts = {v.id: v for v in ctx.ledger.close()}
    assert verdicts[MUST].outcome is verdicts[SHOULD].outcome is Outcome.SKIPPED
    assert "judged by GW-ASYNC-01" in verdicts[MUST].reason


def test_the_suites_own_errors_end_the_search_unshrunk() -> None:
    calls = []

    async def broken(x: int) -> None:
        calls.append(x)
        raise KeyError("a bug in a check")

    with pytest.raises(KeyError):
        run(broken)
    assert len(calls) == 1

    async def blind(x: int) -> None:
        raise InstrumentError("the mock container's control API did not answer")

    with pytest.raises(InstrumentError):
        run(blind)


def test_shrinking_stops_at_its_budget_and_keeps_the_smallest_failure_found() -> None:
    async def slow(x: int) -> None:
        await asyncio.sleep(0.01)
        if x > 1000:
            raise Violation((MUST,), f"{x} is too big")

    result = run(slow, Budget(examples=200, shrink_limit=0.0))
    assert result.stopped and "shrinking stopped" in result.stopped
    (violation,) = result.violations
    assert int(violation.example) > 1000 and any("smallest example found" in n for n in violation.notes)


def test_budgets_follow_the_run_options(tmp_path: Path) -> None:
    config = SuiteConfig(gateway="http://gw/mock", container_url="http://mock")
    assert Budget.from_config(config) == Budget(examples=DEFAULT_EXAMPLES, seed=0, database=None)
    assert Budget.from_config(SuiteConfig(**{**config.__dict__, "seed": 7, "examples": 4}), share=0.5).examples == 2
    explore = Budget.from_config(SuiteConfig(**{**config.__dict__, "explore": True, "hypothesis_db": str(tmp_path)}))
    assert explore.examples == DEFAULT_EXAMPLES * EXPLORE_FACTOR and explore.seed is None and explore.database == tmp_path
    assert Budget.from_config(SuiteConfig(**{**config.__dict__, "explore": True, "seed": 3})).seed == 3


def test_explore_keeps_failing_examples_and_tries_them_first(tmp_path: Path) -> None:
    first = run(budget=Budget(examples=60, seed=1, database=tmp_path, shrink_limit=UNHURRIED.shrink_limit))
    assert first.violations
    assert any(tmp_path.rglob("*")), "no example database was written"
    again = run(budget=Budget(examples=1, seed=2, database=tmp_path, shrink_limit=UNHURRIED.shrink_limit))  # one generated example: the rest is the database
    assert {v.rids for v in again.violations} == {v.rids for v in first.violations}
    assert {v.example for v in again.violations} == {v.example for v in first.violations}
