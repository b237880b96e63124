"""Capacity (at most C in flight: 429, 503 or queue) and readiness (/health 503 for S seconds)."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from conformance.runs.launcher import ManagedServer, python_command
from tests.conftest import start_mock
from tests.mock_container.helpers import Mock


def hold(mock: Mock, count: int, delay: float, correlation: str) -> list[threading.Thread]:
    """`count` requests delayed `delay` s, in threads; returns once all are journaled (in flight)."""
    threads = [threading.Thread(target=httpx.get, args=(mock.url + "/held",),
                                kwargs={"headers": {"X-Mock-Delay": str(delay), "X-Mock-Correlation": correlation},
                                        "timeout": 15})
               for _ in range(count)]
    for thread in threads:
        thread.start()
    mock.wait_journal(correlation, count)
    return threads


@pytest.mark.parametrize("mode, status", [("429", 429), ("503", 503)])
def test_beyond_capacity_is_refused(mode, status):
    server = start_mock("--capacity", "2", "--over-capacity", mode)
    mock = Mock(server.url)
    try:
        threads = hold(mock, 2, 1.5, "held")
        started = time.monotonic()
        refused = mock.get(headers={"X-Mock-Correlation": "extra"})
        assert refused.status_code == status
        assert refused.json() == {"error": "over capacity", "capacity": 2}
        assert time.monotonic() - started < 1.0  # refused at once, not queued
        assert mock.journal("extra")[0]["status"] == status
        for thread in threads:
            thread.join(15)
        assert mock.get(headers={"X-Mock-Correlation": "after"}).status_code == 200
        assert [e["status"] for e in mock.journal("held")] == [200, 200]
    finally:
        mock.close()
        server.stop()


def test_queue_waits_for_a_slot():
    server = start_mock("--capacity", "1", "--over-capacity", "queue")
    mock = Mock(server.url)
    try:
        [thread] = hold(mock, 1, 1.0, "held")
        started = time.monotonic()
        queued = mock.get(headers={"X-Mock-Correlation": "queued"})
        waited = time.monotonic() - started
        assert queued.status_code == 200
        assert 0.3 < waited < 5  # it waited for the held request to finish
        thread.join(15)
        assert mock.stats()["queued"] == 0
    finally:
        mock.close()
        server.stop()


def test_health_is_503_until_ready():
    server = ManagedServer(python_command("mock_container", "--port", "{port}", "--ready-after", "2"),
                           name="mock-ready", healthy_statuses=(200, 503)).start()
    try:
        with httpx.Client(base_url=server.url, timeout=5) as client:
            first = client.get("/health")
            assert first.status_code == 503
            assert first.json()["status"] == "starting"
            assert 0 < first.json()["ready_in"] <= 2
            assert client.get("/infer").status_code == 200  # the inference side serves meanwhile
            deadline = time.monotonic() + 10
            while client.get("/health").status_code != 200:  # bounded polling of a state change
                assert time.monotonic() < deadline, "never became ready"
                time.sleep(0.1)
            assert client.get("/health").json() == {"status": "ok"}
    finally:
        server.stop()
