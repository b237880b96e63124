"""Verdicts do not change when every request crosses a real network.

A TCP relay (tests/hosted/relay.py) adds DELAY each way between the suite and
the reference gateway, so every request (the mock's control traffic too,
which goes through the gateway) pays a round trip of 2 x DELAY, as to a
gateway in another region. The reference still passes every requirement with
the default flags, and a gateway that is slow where the contract times it
still fails exactly there: the timed checks keep their meaning.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conformance.checks import all_checks
from conformance.contract import catalogue
from conformance.runs.gateway.targets import ANY_STATUS
from conformance.runs.launcher import ManagedServer, python_command

from .conftest import AUTH, conformance

pytestmark = pytest.mark.slow

#: seconds added each way: a 60 ms round trip
DELAY = 0.03


def far_away(gateway_base: str, servers) -> str:  # type: ignore[no-untyped-def]
    """The gateway's base URL as seen across the relay."""
    upstream = urlsplit(gateway_base).netloc
    relay = ManagedServer(python_command("tests.hosted.relay", "--port", "{port}", "--upstream", upstream,
                                         "--delay", str(DELAY)),
                          name="latency-relay", health_path="/", healthy_statuses=ANY_STATUS)
    return servers(relay.start()).url


def test_the_reference_passes_every_requirement_across_the_relay(hosted, servers, tmp_path: Path) -> None:
    base = far_away(hosted(), servers)
    run = conformance("run", "--gateway", f"{base}/mock", "--other-gateway", f"{base}/other", "-H", AUTH,
                      json_path=tmp_path / "run.json")
    assert run.code == 0, run.stdout + run.stderr
    checked = {rid for check in all_checks() for rid in check.ids}
    assert run.outcomes() == {req.id: ("observed" if req.level.value == "INFO" else "passed")
                              for req in catalogue.gateway_requirements() if req.id in checked}
    exchanges = [e for check in run.document["checks"] for e in check["exchanges"]
                 if e["response"] is not None and e["elapsed"] is not None]
    # every request, control traffic included, paid the round trip: the relay was in the path
    assert exchanges and min(e["elapsed"] for e in exchanges) >= 2 * DELAY
    assert {e["target"] for e in exchanges} >= {"gateway", "other-gateway", "mock"}


def test_a_timed_break_still_fails_exactly_there_across_the_relay(hosted, servers, tmp_path: Path) -> None:
    base = far_away(hosted("tests.mutants.async_.accept_waits_for_container:Gateway"), servers)
    run = conformance("run", "--gateway", f"{base}/mock", "-H", AUTH, "-k", "GW-ASYNC",
                      json_path=tmp_path / "run.json")
    assert run.code == 1, run.stdout + run.stderr
    failed = {rid for rid, outcome in run.outcomes().items() if outcome == "failed"}
    assert failed == {"GW-ASYNC-05"}, run.outcomes()
