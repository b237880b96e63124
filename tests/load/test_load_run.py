"""A short headless load run judges the reference gateway conforming and each
mutant non-conforming on exactly the IDs it breaks (GW-LOAD-01, GW-RESULT-05,
GW-PROXY-05), through `conformance load` as a user runs it."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from conformance.reports.json_report import schema

from .conftest import SHORT

pytestmark = pytest.mark.slow  # seconds of real load per test

LOAD_IDS = {"GW-LOAD-01", "GW-RESULT-05", "GW-PROXY-05", "GW-LOAD-02"}
#: more fire-and-forget traffic, so a 1-in-100 drop is certain to happen in a short run
PROXY_HEAVY = ["--mix", "async=30,proxy=40,container=10,sync=20"]


#: T_accept for the reference's run: the contract's 1 s is a bound on a gateway measured from a quiet client;
#: this test shares two cores with the rest of the test run, so its accepts get a margin that holds there
#: (the accept-latency goal itself is benchmarks/reference_gateway.py's)
LOADED_T_ACCEPT = 3.0


def test_reference_gateway_passes_every_load_requirement(gateway_for, mock_url, run_load, tmp_path: Path) -> None:
    run = run_load("--gateway", gateway_for(None), "--container-url", mock_url, *SHORT,
                   "--t-accept", f"{LOADED_T_ACCEPT:g}")
    assert run.code == 0, run.output[-3000:]
    assert run.outcomes() == dict.fromkeys(LOAD_IDS, "passed")
    jsonschema.validate(run.document, schema(), cls=jsonschema.Draft202012Validator)  # the suite's report shape
    load = run.requirement("GW-LOAD-01")["data"]
    # every mode was exercised and every submission owed to the container reached it once
    assert set(load["by_mode"]) == {"async", "proxy", "container", "sync"}
    assert load["journal_entries"] >= load["owed_to_container"] > 50
    assert load["dropped"] == load["duplicated"] == load["unknown_bodies"] == 0
    assert load["webhook_deliveries"] == run.requirement("GW-PROXY-05")["data"]["accepted"]
    latency = run.requirement("GW-LOAD-02")["data"]
    assert latency["samples"] > 20 and latency["p50"] <= latency["p95"] <= latency["p99"] < LOADED_T_ACCEPT
    # Locust's own stats are kept beside the report
    stem = tmp_path / "load0"
    assert Path(f"{stem}.locust_stats.csv").stat().st_size > 0
    assert Path(f"{stem}.locust.html").stat().st_size > 0
    assert "-> PASS" in run.output


def test_dropping_one_in_100_fire_and_forget_fails_proxy_05_and_load_01(gateway_for, mock_url, run_load) -> None:
    gateway = gateway_for("tests.mutants.proxy.drop_one_in_100_proxy:DropOneIn100ProxyGateway")
    # a dropped one is awaited until T_done after its accept: keep that short
    run = run_load("--gateway", gateway, "--container-url", mock_url, *SHORT, *PROXY_HEAVY, "--t-done", "1.5")
    assert run.code == 1, run.output[-3000:]
    proxy = run.requirement("GW-PROXY-05")
    assert proxy["data"]["accepted"] >= 10, "too few fire-and-forget submissions for the mutant to drop one"
    expected_drops = (proxy["data"]["accepted"] + 90) // 100  # the 10th, 110th, ... of what the gateway took
    assert proxy["outcome"] == "failed" and proxy["data"]["dropped"] == expected_drops
    assert run.outcomes()["GW-LOAD-01"] == "failed"
    assert "lost" in run.requirement("GW-LOAD-01")["reason"]
    assert run.outcomes()["GW-RESULT-05"] == "passed"


def test_duplicate_deliveries_fail_load_01(gateway_for, mock_url, run_load) -> None:
    gateway = gateway_for("tests.mutants.load.duplicate_proxy_delivery:DuplicateProxyDeliveryGateway")
    run = run_load("--gateway", gateway, "--container-url", mock_url, *SHORT, *PROXY_HEAVY)
    assert run.code == 1, run.output[-3000:]
    load = run.requirement("GW-LOAD-01")
    assert load["outcome"] == "failed"
    assert any("duplicated" in failure["reason"] for failure in load["failures"])
    assert load["data"]["duplicated"] >= 1 and load["data"]["dropped"] == 0
    # none was dropped: the fire-and-forget requirement itself holds
    assert run.outcomes()["GW-PROXY-05"] == "passed"
    assert run.outcomes()["GW-RESULT-05"] == "passed"


def test_crossed_results_under_concurrency_fail_result_05_and_load_01(gateway_for, mock_url, run_load) -> None:
    gateway = gateway_for("tests.mutants.load.crossed_results:CrossedResultsGateway")
    run = run_load("--gateway", gateway, "--container-url", mock_url, *SHORT)
    assert run.code == 1, run.output[-3000:]
    result = run.requirement("GW-RESULT-05")
    assert result["outcome"] == "failed" and result["data"]["crossed"] >= 2  # a swap crosses two at once
    load = run.requirement("GW-LOAD-01")
    assert load["outcome"] == "failed"
    assert any("crossed" in failure["reason"] for failure in load["failures"])
    assert run.outcomes()["GW-PROXY-05"] == "passed"


def test_slow_accepts_fail_load_02_only_with_strict(gateway_for, mock_url, run_load) -> None:
    """GW-LOAD-02 is a SHOULD: it fails the run only with --strict."""
    gateway = gateway_for("tests.mutants.async_.accept_waits_for_container:AcceptWaitsForContainerGateway")
    run = run_load("--gateway", gateway, "--container-url", mock_url, *SHORT, "--t-accept", "0.15", "--strict")
    assert run.code == 1, run.output[-3000:]
    latency = run.requirement("GW-LOAD-02")
    assert latency["outcome"] == "failed" and latency["data"]["p99"] >= 0.15
    assert run.document["summary"]["failed_must"] == []
    assert run.document["summary"]["failed_should"] == ["GW-LOAD-02"]
    assert run.outcomes()["GW-LOAD-01"] == run.outcomes()["GW-RESULT-05"] == "passed"


def test_an_accepted_id_that_never_completes_fails_load_01(gateway_for, mock_url, run_load) -> None:
    gateway = gateway_for("tests.mutants.status.loses_one_in_50_async:LosesOneIn50AsyncGateway")
    run = run_load("--gateway", gateway, "--container-url", mock_url, *SHORT, "--t-done", "1.5")
    assert run.code == 1, run.output[-3000:]
    load = run.requirement("GW-LOAD-01")
    assert load["outcome"] == "failed"
    assert load["failures"][0]["reason"].startswith("accepted respond-async Ids never reached Completed")
    assert load["data"]["by_mode"]["async"]["lost"] >= 1
    # the lost ones were never answered: no result was crossed
    assert run.outcomes()["GW-RESULT-05"] == "passed"
