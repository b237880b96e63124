"""The per-ID verdict ledger: one failing ID never hides another's verdict."""

from __future__ import annotations

from conformance.judge.model import Outcome
from conformance.judge.verdicts import Blocked, Failure, Ledger, expect


def outcomes(ledger: Ledger, **close) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {v.id: v.outcome.value for v in ledger.close(**close)}


def test_a_failure_in_one_judge_block_leaves_the_others_judged() -> None:
    ledger = Ledger(("A", "B", "C"))
    with ledger.judge("A"):
        expect(False, "A is wrong", expected=1, actual=2)
    with ledger.judge("B"):
        pass
    with ledger.judge("C"):
        raise Blocked("needs A")
    verdicts = {v.id: v for v in ledger.close()}
    assert {k: v.outcome for k, v in verdicts.items()} == {"A": Outcome.FAILED, "B": Outcome.PASSED, "C": Outcome.SKIPPED}
    failure = verdicts["A"].failures[0]
    assert (failure.reason, failure.expected, failure.actual) == ("A is wrong", "1", "2")
    assert verdicts["C"].reason == "needs A"


def test_a_failure_outside_any_block_fails_only_the_undecided_ids() -> None:
    ledger = Ledger(("A", "B"))
    with ledger.judge("A"):
        pass
    assert outcomes(ledger, failure=Failure("the gateway hung")) == {"A": "passed", "B": "failed"}


def test_a_blocked_check_skips_its_undecided_ids_and_a_normal_return_passes_them() -> None:
    assert outcomes(Ledger(("A", "B")), skip="no 202") == {"A": "skipped", "B": "skipped"}
    assert outcomes(Ledger(("A",))) == {"A": "passed"}


def test_cases_of_one_id_aggregate_failure_over_skip_over_pass() -> None:
    ledger = Ledger(("A",))
    with ledger.judge("A", case="one"):
        pass
    with ledger.judge("A", case="two"):
        raise Blocked("could not judge")
    assert outcomes(ledger) == {"A": "skipped"}
    ledger = Ledger(("A",))
    with ledger.judge("A", case="one"):
        raise Failure("bad one")
    with ledger.judge("A", case="two"):
        raise Failure("bad two")
    with ledger.judge("A", case="three"):
        pass
    verdict = ledger.close()[0]
    assert verdict.outcome is Outcome.FAILED
    assert [f.reason for f in verdict.failures] == ["[one] bad one", "[two] bad two"]


def test_a_step_passes_nothing_but_reports_whether_judging_may_go_on() -> None:
    ledger = Ledger(("A", "B"))
    with ledger.step("A", "B") as step:
        pass
    assert step.ok and not ledger.decided("A")
    with ledger.step("A") as step:
        raise Blocked("precondition")
    assert not step.ok and ledger.outcome("A") is Outcome.SKIPPED


def test_observations_and_notes_travel_with_the_verdict() -> None:
    ledger = Ledger(("I", "M"))
    ledger.observe("I", "chose respond-async", mode="respond-async")
    ledger.note("M", "Status encoding: names", status_encoding="names")
    verdicts = {v.id: v for v in ledger.close()}
    assert verdicts["I"].outcome is Outcome.OBSERVED and verdicts["I"].data == {"mode": "respond-async"}
    assert verdicts["M"].notes == ["Status encoding: names"] and verdicts["M"].data == {"status_encoding": "names"}


def test_failures_point_at_the_exchanges_of_their_case() -> None:
    seen = {"one": [1, 3], None: [1, 2, 3]}
    ledger = Ledger(("A",), exchanges_of=lambda case: seen[case])
    with ledger.judge("A", case="one"):
        raise Failure("wrong")
    assert ledger.close()[0].failures[0].exchanges == [1, 3]
