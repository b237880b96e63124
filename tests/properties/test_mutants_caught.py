"""The proof of the property and schema checks: each catches a mutant the hand-written checks let through.

Each case runs only the one check (every other is deselected) against one
mutant of tests/mutants/ and asserts that the check itself failed the ID
the mutant breaks, with a generated example as the reproduction. The
reference gateway passes every one of them, judged on generated examples
(no ID skipped for lack of examples). The default budget is used (fixed
seed), so the verdicts, and the shrunk examples, are the same every run.
"""

from __future__ import annotations

import importlib

import pytest

from conformance.checks.search import DEFAULT_EXAMPLES
from tests.properties.runner import run_checks, verdicts

pytestmark = pytest.mark.slow

#: mutant module -> (the check that catches it, the ID it breaks, a piece of the reproduction)
PROOF = {
    "prefer.prefer_splits_inside_quotes": ("prefer_property", "GW-PREF-09", "Prefer: "),
    "prefer.prefer_case_folded_only_when_bare": ("prefer_property", "GW-PREF-06", "Prefer: "),
    "prefer.sync_prefer_respaced": ("prefer_property", "GW-PREF-03", "Prefer: "),
    "sync.path_percent_decoded": ("sync_relay_property", "GW-SYNC-05", "%"),
    "result.result_truncated_over_8k": ("async_result_property", "GW-RESULT-01", "8193 bytes"),
    "container.container_2xx_relayed_as_202": ("container_relay_property", "GW-CONT-02", "status 202 instead of"),
    "async_.ids_derived_from_body": ("stateful_model", "GW-ASYNC-06", "submit respond-async"),
    "status.status_regresses_after_result_read": ("stateful_model", "GW-STATUS-02", "result of"),
    "proxy.proxy_empty_body_delivered_twice": ("stateful_model", "GW-PROXY-03", "submit respond-async-proxy b''"),
    "result.results_cached_by_body": ("stateful_model", "GW-RESULT-05", "submit respond-async"),
    "status.status_500_for_unusual_ids": ("schema_conformance", "GW-STATUS-04", "generated X-Inference-Id"),
}
CHECKS = ("prefer_property", "sync_relay_property", "async_result_property", "container_relay_property",
          "stateful_model", "schema_conformance")


@pytest.mark.parametrize("mutant", sorted(PROOF))
def test_the_property_catches_the_mutant(mutant: str) -> None:
    check, rid, clue = PROOF[mutant]
    module = importlib.import_module(f"tests.mutants.{mutant}")
    assert module.BREAKS == rid, f"{mutant} declares BREAKS = {module.BREAKS}, this proof says {rid}"
    assert check in ((module.AIMED_AT,) if isinstance(module.AIMED_AT, str) else module.AIMED_AT), module.AIMED_AT
    document = run_checks(f"tests.mutants.{mutant}:Gateway", [check])
    verdict = verdicts(document, check)[rid]
    assert verdict.outcome.value == "failed", f"{check} did not catch {mutant}: {verdict.outcome.value} {verdict.reason}"
    failure = verdict.failures[0]
    assert "generated example" in failure.reason and clue in failure.reason, failure.reason
    assert failure.exchanges, "the failure points at no exchange"


def test_the_reference_passes_every_property_on_generated_examples() -> None:
    document = run_checks(None, list(CHECKS))
    for check in CHECKS:
        for rid, verdict in verdicts(document, check).items():
            assert verdict.outcome.value == "passed", f"{check} {rid}: {verdict.outcome.value} {verdict.reason}"
    assert document.parameters["seed"] is None and document.parameters["examples"] is None  # the defaults
    exchanges = {record.name: len(record.exchanges) for record in document.checks}
    assert exchanges["prefer_property"] >= DEFAULT_EXAMPLES, exchanges  # every example went on the wire


def test_a_verdict_and_its_shrunk_example_are_the_same_every_run() -> None:
    runs = [run_checks("tests.mutants.prefer.prefer_splits_inside_quotes:Gateway", ["prefer_property"]) for _ in range(2)]
    reasons = [[f.reason for f in verdicts(doc, "prefer_property")["GW-PREF-09"].failures] for doc in runs]
    assert reasons[0] and reasons[0] == reasons[1]


def test_the_schema_stage_is_skipped_with_the_reason_for_a_gateway_in_another_layout() -> None:
    """tests/reference/variant.py serves status and result under /v1 (legal): nothing to check against openapi.yaml."""
    document = run_checks("tests.reference.variant:PrefixedGateway", ["schema_conformance"])
    for rid, verdict in verdicts(document, "schema_conformance").items():
        assert verdict.outcome.value == "skipped", (rid, verdict.outcome.value, verdict.reason)
        assert "does not follow the provider's layout" in verdict.reason and "/v1/status/mock" in verdict.reason
