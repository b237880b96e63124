"""Item 5 of issue #14: "exactly once" is not judged when the journal lost entries, never passed.

GW-ASYNC-07, GW-PROXY-03 and GW-CONT-04 count what reached the container
after the fact. tests/hostile/resetting_mock.py resets the mock's journal
right after the suite saw the first arrival, so a duplicate could go unseen;
each check (run alone, through the engine as a run runs it, against the
reference gateway) must then say "not judged" and why.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from conformance.checks import all_checks
from conformance.judge.config import SuiteConfig
from conformance.judge.model import Outcome
from conformance.runs.engine import Engine
from conformance.runs.gateway.preflight import preflight
from conformance.runs.launcher import ManagedServer, python_command
from tests.conftest import start_mock
from tests.hostile.resetting_mock import resetting_mock


@pytest.fixture
def mock() -> Iterator[ManagedServer]:
    """A fresh mock container: the test resets its journal."""
    server = start_mock()
    yield server
    server.stop()


@pytest.mark.parametrize(("check", "rid"), [("submission_accepted", "GW-ASYNC-07"), ("fire_and_forget", "GW-PROXY-03"),
                                             ("container_answer_relayed", "GW-CONT-04")])
def test_a_journal_reset_mid_check_makes_exactly_once_not_judged(check: str, rid: str, mock: ManagedServer) -> None:
    gateway = ManagedServer(python_command("conformance", "gateway", "--port", "{port}", "--deployment",
                                           f"mock={mock.url}"), name="reference-gateway").start()
    try:
        with resetting_mock(mock.url) as hostile:
            config = SuiteConfig(gateway=f"{gateway.url}/mock", container_url=hostile.url, delay=1.0, t_accept=0.5)
            positions = preflight(config)
            config = replace(config, journal_since=positions.journal, sink_since=positions.sink)
            engine = Engine(config, [next(c for c in all_checks() if c.name == check)])
            engine.start()
            try:
                record = engine.result(check, timeout=engine.wait_budget())
            finally:
                engine.stop()
    finally:
        gateway.stop()
    assert hostile.resets == 1, "the mock was never reset: the scenario did not happen"
    verdict = next(v for v in record.verdicts if v.id == rid)
    assert verdict.outcome is Outcome.SKIPPED, (verdict.outcome, verdict.reason, verdict.failures)
    assert "not judged" in verdict.reason and "evicted" in verdict.reason, verdict.reason
