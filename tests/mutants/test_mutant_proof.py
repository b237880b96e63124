"""The proof that the suite judges correctly: every mutant is failed on the requirement it breaks, by the
very check aimed at it, and on nothing else; every legal variant passes in full.

- one case per mutant (a module of a section folder declaring BREAKS and
  AIMED_AT): the suite runs the checks of that ID's family (a mutant
  declaring ALONE: its aimed checks alone); BREAKS must fail, each AIMED_AT
  check's own verdict on it must be "failed" (a check that stopped judging
  would not hide behind another that judges the same ID), and no other ID
  but ALSO_FAILS may fail (the suite does not spray failures);
- one case per legal variant (legal/): the full suite, every MUST passed,
  every SHOULD passed but the ones the variant legally fails, INFO observed;
- the declarations: every module says what it is, in its section's folder;
- the coverage rules: every GW MUST and SHOULD ID has a mutant breaking it,
  and every check that judges an ID is proven by a mutant aimed at it, or
  is named in `judges.UNPROVEN` with the reason (the score prints which
  check is then the ID's only proven judge);
- the INFO observations tell the reference's choices from the variants'.

The mutant score is printed at the end of the run (score.py).
"""

from __future__ import annotations

import pytest

from conformance.checks import all_checks
from conformance.contract import catalogue
from conformance.judge.model import ResultDocument
from tests.mutants.discovery import LegalVariant, Mutant, discover
from tests.mutants.judges import UNPROVEN, judges_of, proven_pairs
from tests.mutants.score import KEY, LEGAL_KEY
from tests.properties.runner import run_checks
from tests.suite.runner import run_against

pytestmark = pytest.mark.slow

FOUND = discover()
MUTANTS = FOUND.mutants
LEGAL = FOUND.legal
#: every run strict: a failed SHOULD is then reported like a failed MUST (the
#: per-ID outcomes are the same either way); the non-strict path reports it as
#: an xfail whose traceback pytest renders with `ast.parse` on the main thread
#: while the property checks use `ast` in the engine's thread, which CPython
#: 3.11 does not support (SystemError "AST constructor recursion depth mismatch")
STRICT = True


def failed_ids(document: ResultDocument) -> set[str]:
    return {rid for rid, outcome in document.outcomes().items() if outcome == "failed"}


def explain(document: ResultDocument, rids: set[str]) -> str:
    """Each ID's outcome, each check's own verdict on it, and why, for an assertion message."""
    judged = {result.id: result for result in document.requirements}
    lines = []
    for rid in sorted(rids):
        result = judged.get(rid)
        if result is None:
            lines.append(f"{rid}: not in the result document (the run ended early?)")
            continue
        lines.append(f"{rid} {result.outcome.value}: {result.reason or '-'}")
        lines += [f"    {j.check}: {j.outcome.value} {j.reason}" for j in result.judged_by]
    return "\n".join(lines) or "(none)"


def _mutant_param(mutant: Mutant):  # type: ignore[no-untyped-def]
    marks = [pytest.mark.xfail(strict=True, reason=mutant.uncaught)] if mutant.uncaught else []
    return pytest.param(mutant, id=mutant.name, marks=marks)


def run_mutant(mutant: Mutant) -> ResultDocument:
    if mutant.alone:
        return run_checks(mutant.implementation, list(mutant.aimed_at), options=mutant.gateway_options)
    return run_against(mutant.implementation, select=[mutant.family], options=mutant.gateway_options, strict=STRICT)


@pytest.mark.parametrize("mutant", [_mutant_param(m) for m in MUTANTS])
def test_the_check_aimed_at_the_mutant_fails_the_requirement_it_breaks(mutant: Mutant, record_property) -> None:  # type: ignore[no-untyped-def]
    document = run_mutant(mutant)
    outcomes = document.outcomes()
    failed = failed_ids(document)
    judged_by = document.requirement(mutant.breaks).judged_by if mutant.breaks in outcomes else []
    failing_checks = sorted(j.check for j in judged_by if j.outcome.value == "failed")
    record_property(KEY, {"mutant": mutant.name, "breaks": mutant.breaks, "level": mutant.level,
                          "outcome": outcomes.get(mutant.breaks), "caught": mutant.breaks in failed,
                          "aimed_at": list(mutant.aimed_at), "failed_by": failing_checks,
                          "also": sorted(mutant.also_fails), "uncaught": mutant.uncaught})
    assert mutant.breaks in outcomes, f"the {mutant.family} run did not judge {mutant.breaks}"
    assert mutant.also_fails <= set(outcomes), f"ALSO_FAILS names IDs outside {mutant.family}"
    assert outcomes[mutant.breaks] == "failed", (
        f"{mutant.name} breaks {mutant.breaks} but the suite said {outcomes[mutant.breaks]}:\n"
        + explain(document, {mutant.breaks}))
    missed = [check for check in mutant.aimed_at if check not in failing_checks]
    assert not missed, (
        f"{mutant.name} is aimed at {list(mutant.aimed_at)}, but {missed} did not fail {mutant.breaks} by itself:\n"
        + explain(document, {mutant.breaks}))
    allowed = {mutant.breaks} | mutant.also_fails
    assert failed <= allowed, (
        f"{mutant.name} breaks {mutant.breaks} (also failing at most {sorted(mutant.also_fails)}), "
        f"but the suite also failed {sorted(failed - allowed)}:\n" + explain(document, failed - allowed))


@pytest.mark.parametrize("variant", [pytest.param(v, id=v.name) for v in LEGAL])
def test_the_suite_passes_the_legal_variant(variant: LegalVariant, record_property) -> None:  # type: ignore[no-untyped-def]
    document = run_against(variant.implementation, strict=STRICT, **variant.run_kwargs)
    outcomes = document.outcomes()
    record_property(LEGAL_KEY, {"variant": variant.name, "verdict": document.summary.verdict,
                                "legally_failed": sorted(variant.legally_fails)})
    expected = {}
    for req in catalogue.gateway_requirements():
        if req.level is catalogue.Level.INFO:
            expected[req.id] = "observed"
        else:
            expected[req.id] = "failed" if req.id in variant.legally_fails else "passed"
    wrong = {rid for rid in expected if outcomes.get(rid) != expected[rid]}
    assert not wrong, f"{variant.name} is legal but the suite judged it otherwise:\n" + explain(document, wrong)
    assert not document.summary.failed_must
    assert sorted(document.summary.failed_should) == sorted(variant.legally_fails)
    for rid, text in variant.observes.items():
        observed = document.requirement(rid).observed or ""
        assert text in observed, f"{rid}: expected the observation to say {text!r}, it says {observed!r}"


def test_every_module_says_what_it_is_in_its_sections_folder() -> None:
    """A module that declares nothing is not skipped: it is a failure of the proof."""
    assert not FOUND.problems, "\n".join(FOUND.problems)


def test_every_must_and_should_requirement_has_a_mutant() -> None:
    """No unproven requirement: each judged ID has a mutant whose BREAKS it is."""
    broken = {m.breaks for m in MUTANTS}
    unproven = [req.id for req in catalogue.gateway_requirements()
                if req.level is not catalogue.Level.INFO and req.id not in broken]
    assert not unproven, f"requirements without a mutant that breaks them: {', '.join(unproven)}"


def test_every_check_judging_a_requirement_is_proven_by_a_mutant_aimed_at_it_or_named_unproven() -> None:
    proven = proven_pairs(MUTANTS)
    judged = {(rid, check) for rid, checks in judges_of(all_checks()).items() for check in checks}
    silent = sorted(judged - proven - set(UNPROVEN))
    assert not silent, ("checks that judge a requirement with no mutant aimed at them (add one, or name the pair "
                        "in tests/mutants/judges.py UNPROVEN with the reason):\n"
                        + "\n".join(f"  {rid} by {check}" for rid, check in silent))
    stale = sorted(set(UNPROVEN) & proven)
    assert not stale, f"UNPROVEN names pairs a mutant now proves: {stale}"
    strangers = sorted(set(UNPROVEN) - judged)
    assert not strangers, f"UNPROVEN names pairs no check judges: {strangers}"
    for rid in {rid for rid, _ in judged}:
        assert any((rid, check) in proven for check in judges_of(all_checks())[rid]), f"{rid} has no proven judge"


def test_every_mutant_breaks_a_must_or_should_requirement_of_the_gateway() -> None:
    for mutant in MUTANTS:
        assert mutant.breaks.startswith("GW-") and mutant.level in ("MUST", "SHOULD"), mutant
        assert mutant.breaks not in mutant.also_fails, mutant


def test_info_observations_tell_the_reference_from_the_legal_variants() -> None:
    """GW-PREF-08 and GW-ASYNC-11 never fail; what they record must still tell the choices apart."""
    document = run_against(select=["GW-PREF-08", "GW-ASYNC-10", "GW-ASYNC-11"])
    reference = {rid: document.requirement(rid).observed or "" for rid in ("GW-PREF-08", "GW-ASYNC-11")}
    assert "was handled as respond-async (" in reference["GW-PREF-08"]  # the reference: the first value wins
    assert "rejected it with 409" in reference["GW-ASYNC-11"]  # the reference: an Id in use is refused
    variant_texts = [(v.name, rid, text) for v in LEGAL for rid, text in v.observes.items()]
    assert {rid for _, rid, _ in variant_texts} == {"GW-PREF-08", "GW-ASYNC-11"}
    for name, rid, text in variant_texts:
        assert text not in reference[rid], f"{name}'s observation {text!r} does not differ from the reference's"
