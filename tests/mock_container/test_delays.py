"""Slow responses: fixed and seeded random delays, which hold no worker."""

from __future__ import annotations

import asyncio
import statistics
import threading
import time

import httpx

from tests.mock_container.helpers import assert_invalid, mock_headers

SLACK = 2.0  # seconds of lateness tolerated on a shared 2-core CI machine


def test_fixed_delay(mock, corr):
    started = time.monotonic()
    response = mock.get(headers=mock_headers(correlation=corr, delay=0.4))
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert 0.4 <= elapsed < 0.4 + SLACK
    assert mock.journal(corr)[0]["delay"] == 0.4


def test_request_is_journaled_on_arrival_before_the_answer(mock, corr):
    result = {}

    def slow_request():
        headers = mock_headers(correlation=corr, delay=1.5)
        result["response"] = httpx.get(mock.url + "/slow", headers=headers, timeout=15)

    thread = threading.Thread(target=slow_request)
    thread.start()
    try:
        [entry] = mock.wait_journal(corr, 1, timeout=5)
        assert "response" not in result  # still being processed
        assert entry["status"] is None
        assert entry["behaviour"]["delay"] == 1.5
    finally:
        thread.join(timeout=15)
    assert result["response"].status_code == 200
    assert mock.journal(corr)[0]["status"] == 200


def _delays(mock, corr, count, **fields):
    for _ in range(count):
        assert mock.get(headers=mock_headers(correlation=corr, **fields)).status_code == 200
    return [entry["delay"] for entry in mock.journal(corr)]


def test_uniform_delay_is_seeded_per_call(mock, corr):
    fields = dict(delay=0.001, delay_dist="uniform", delay_max=0.03, seed=7)
    first = _delays(mock, corr + "-a", 8, **fields)
    second = _delays(mock, corr + "-b", 8, **fields)
    assert first == second  # same seed, same sequence call by call
    assert len(set(first)) == 8  # successive calls draw differently
    assert all(0.001 <= d <= 0.03 for d in first)


def test_unseeded_delays_differ(mock, corr):
    delays = _delays(mock, corr, 6, delay=0, delay_dist="uniform", delay_max=0.02)
    assert len(set(delays)) > 1


def test_exponential_and_lognormal(mock, corr):
    exponential = _delays(mock, corr + "-e", 30, delay=0.005, delay_dist="exponential", seed=1)
    lognormal = _delays(mock, corr + "-l", 30, delay=0.005, delay_dist="lognormal", delay_sigma=0.5, seed=1)
    assert min(exponential) >= 0 and len(set(exponential)) == 30
    assert 0.001 < statistics.mean(exponential) < 0.02
    assert 0.002 < statistics.median(lognormal) < 0.012  # delay is the median
    assert exponential == _delays(mock, corr + "-e2", 30, delay=0.005, delay_dist="exponential", seed=1)


def test_distribution_needs_its_parameters(mock, corr):
    assert_invalid(mock.get(headers=mock_headers(delay_dist="uniform", delay=1)), "delay-dist")
    assert_invalid(mock.get(headers=mock_headers(delay_dist="lognormal", delay=1)), "delay-dist")
    assert_invalid(mock.get(headers=mock_headers(delay_dist="uniform", delay=1, delay_max=0.5)), "delay-max")
    assert_invalid(mock.get(headers=mock_headers(delay_dist="gaussian")), "delay-dist")


def test_delays_hold_no_worker(mock_url, corr):
    """200 requests delayed 1 s each finish together, not one after another."""
    count, delay = 200, 1.0

    async def run() -> float:
        limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
        async with httpx.AsyncClient(base_url=mock_url, limits=limits, timeout=30) as client:
            started = time.monotonic()
            responses = await asyncio.gather(*(client.get("/slow", headers=mock_headers(correlation=corr, delay=delay))
                                               for _ in range(count)))
            elapsed = time.monotonic() - started
        assert all(r.status_code == 200 for r in responses)
        return elapsed

    elapsed = asyncio.run(run())
    assert delay <= elapsed < delay + 4 * SLACK  # one after another this would take 200 s
