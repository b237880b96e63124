"""The load verdicts from synthetic evidence: each rule, its boundary, and that
incomplete evidence is never judged a pass."""

from __future__ import annotations

from collections import Counter

import pytest

from conformance.runs.load.tally import Tally
from conformance.runs.load.settings import LoadSettings
from conformance.runs.load.verdicts import Evidence, judge, percentile

SETTINGS = LoadSettings(run_id="run-1", container_urls=("http://127.0.0.1:9",), delay=0.2, t_accept=1.0)


def clean_tally() -> Tally:
    """Two submissions per mode, each answered as its mode requires."""
    tally = Tally(sources={"local": 0})
    for mode in ("async", "proxy", "container", "sync"):
        for n in range(2):
            record = tally.sent(mode, f"{mode}{n}".ljust(64, "0"), 1000.0)
            tally.accepted(record, 1000.1)
            if mode != "proxy":
                tally.matched(record)
    tally.latencies["async"] = [0.01, 0.02]
    return tally


def evidence(tally: Tally, deliveries: Counter | None = None, **kwargs) -> Evidence:
    if deliveries is None:
        deliveries = Counter(dict.fromkeys(tally.records, 1))
    return Evidence(tally=tally, settings=SETTINGS, deliveries=deliveries, duration=4.0, **kwargs)


def outcomes(ev: Evidence) -> dict[str, str]:
    return {v.id: v.outcome.value for v in judge(ev)}


def test_a_clean_run_passes_every_id() -> None:
    assert outcomes(evidence(clean_tally())) == dict.fromkeys(
        ["GW-LOAD-01", "GW-RESULT-05", "GW-PROXY-05", "GW-LOAD-02"], "passed")


def test_a_dropped_fire_and_forget_fails_proxy_05_and_load_01() -> None:
    tally = clean_tally()
    deliveries = Counter(dict.fromkeys(tally.records, 1))
    deliveries["proxy1".ljust(64, "0")] = 0
    result = outcomes(evidence(tally, deliveries))
    assert result["GW-PROXY-05"] == result["GW-LOAD-01"] == "failed"
    assert result["GW-RESULT-05"] == "passed"


def test_a_duplicate_fails_load_01_even_for_a_submission_cut_off_by_the_end() -> None:
    tally = clean_tally()
    tally.sent("sync", "late".ljust(64, "0"), 1003.9)  # never answered: not judged itself
    deliveries = Counter(dict.fromkeys(tally.records, 1))
    deliveries["late".ljust(64, "0")] = 2
    verdict = judge(evidence(tally, deliveries))[0]
    assert verdict.outcome.value == "failed" and "duplicated" in verdict.reason
    assert any("cut off" in note for note in verdict.notes)


def test_bodies_no_client_sent_fail_load_01() -> None:
    tally = clean_tally()
    deliveries = Counter(dict.fromkeys(tally.records, 1))
    deliveries["f" * 64] = 1
    verdict = judge(evidence(tally, deliveries))[0]
    assert verdict.outcome.value == "failed" and "no client" in verdict.reason


def test_a_crossed_result_fails_result_05_and_load_01() -> None:
    tally = clean_tally()
    tally.crossed(tally.records["async0".ljust(64, "0")], "async1".ljust(64, "0"), "async result")
    result = outcomes(evidence(tally))
    assert result["GW-RESULT-05"] == result["GW-LOAD-01"] == "failed"


def test_refusals_are_reported_not_failed() -> None:
    tally = clean_tally()
    tally.refused(tally.sent("async", "r".ljust(64, "0"), 1001.0), "async submit: refused with HTTP 503")
    verdict = judge(evidence(tally))[0]
    assert verdict.outcome.value == "passed"
    assert any("refused" in note for note in verdict.notes)
    assert verdict.data["errors_by_kind"] == {"async submit: refused with HTTP 503": 1}


def test_a_lost_id_fails_load_01() -> None:
    tally = clean_tally()
    record = tally.sent("async", "x".ljust(64, "0"), 1001.0)
    tally.accepted(record, 1001.0, inference_id="id-x")
    tally.lost(record, "not Completed within T_done=5.2s")
    deliveries = Counter(dict.fromkeys(tally.records, 1))
    verdict = judge(evidence(tally, deliveries))[0]
    assert verdict.outcome.value == "failed" and "lost" in verdict.reason


def test_an_evicted_journal_makes_delivery_verdicts_inconclusive_never_passed() -> None:
    tally = clean_tally()
    deliveries = Counter(dict.fromkeys(tally.records, 1))
    deliveries["proxy0".ljust(64, "0")] = 0  # maybe dropped, maybe evicted before it was counted
    result = outcomes(evidence(tally, deliveries, journal_gaps=["entries 1..5 were evicted"]))
    assert result["GW-LOAD-01"] == result["GW-PROXY-05"] == "skipped"


def test_without_respond_async_traffic_its_ids_are_skipped() -> None:
    tally = Tally()
    record = tally.sent("sync", "s".ljust(64, "0"), 1000.0)
    tally.matched(record)
    result = outcomes(evidence(tally))
    assert result == {"GW-LOAD-01": "passed", "GW-RESULT-05": "skipped", "GW-PROXY-05": "skipped",
                      "GW-LOAD-02": "skipped"}


@pytest.mark.parametrize(("p99", "outcome"), [(0.999, "passed"), (1.0, "failed"), (1.5, "failed")])
def test_load_02_needs_p99_strictly_under_t_accept(p99: float, outcome: str) -> None:
    tally = clean_tally()
    tally.latencies["async"] = [0.01] * 98 + [p99, p99]
    verdict = judge(evidence(tally))[3]
    assert verdict.id == "GW-LOAD-02" and verdict.outcome.value == outcome
    assert verdict.data["p99"] == round(p99, 4) and verdict.data["p50"] == 0.01


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (50.0, 99.0, 100.0)
    assert percentile([3.0], 99) == 3.0
