"""The suite's verdicts hold for legal gateways built independently of the reference.

For each gateway of `gateways.LEGAL_GATEWAYS` (none of them shares code
with `conformance/`): start a mock container and the gateway, run the full
suite through the Python API, not strict, and expect exit 0, no MUST
failed, every SHOULD passed but exactly the ones the gateway legally fails,
and every INFO observed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.contract import catalogue
from conformance.runs.gateway.run import run_suite
from conformance.runs.launcher import ManagedServer
from conformance.judge.model import ResultDocument
from tests.conftest import start_mock
from tests.legal.gateways import LEGAL_GATEWAYS, LegalGateway

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def explain(document: ResultDocument, rids: set[str]) -> str:
    """Each ID's outcome and why, for an assertion message."""
    judged = {result.id: result for result in document.requirements}
    lines = []
    for rid in sorted(rids):
        result = judged.get(rid)
        lines.append(f"{rid} {result.outcome.value}: {result.reason or '-'}" if result
                     else f"{rid}: not in the result document")
    return "\n".join(lines) or "(none)"


def expected_outcomes(legal: LegalGateway) -> dict[str, str]:
    expected = {}
    for req in catalogue.gateway_requirements():
        if req.level is catalogue.Level.INFO:
            expected[req.id] = "observed"
        else:
            expected[req.id] = "failed" if req.id in legal.legally_fails else "passed"
    return expected


@pytest.fixture
def mock() -> Iterator[ManagedServer]:
    """A mock container of the test's own: each full run gets a fresh journal."""
    server = start_mock()
    yield server
    server.stop()


def test_legally_failed_ids_are_shoulds() -> None:
    """A gateway that fails a MUST is not legal: the table itself must say so."""
    for legal in LEGAL_GATEWAYS:
        for rid in legal.legally_fails:
            assert catalogue.get(rid).level is catalogue.Level.SHOULD, f"{legal.name}: {rid} is not a SHOULD"


@pytest.mark.parametrize("legal", [pytest.param(g, id=g.name) for g in LEGAL_GATEWAYS])
def test_the_suite_passes_the_independent_legal_gateway(legal: LegalGateway, mock: ManagedServer) -> None:
    missing = legal.missing()
    if missing:
        pytest.skip(missing)
    with legal.run(mock.url) as endpoints:
        document = run_suite(gateway=endpoints.gateway, container_url=mock.url,
                             other_gateway=endpoints.other_gateway, allow_origins=endpoints.allow_origins, strict=False)
    outcomes = document.outcomes()
    expected = expected_outcomes(legal)
    wrong = {rid for rid in expected if outcomes.get(rid) != expected[rid]}
    assert not wrong, f"{legal.name} is legal but the suite judged it otherwise:\n" + explain(document, wrong)
    assert not document.summary.failed_must
    assert sorted(document.summary.failed_should) == sorted(legal.legally_fails)
    assert document.summary.exit_code == 0
