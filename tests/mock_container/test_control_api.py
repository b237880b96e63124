"""The control API: journal queries and long-poll waits, scenarios, reset, stats."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest

from tests.conftest import start_mock
from tests.mock_container.helpers import Mock, assert_invalid


def test_journal_only_shows_the_correlation_asked_for(mock, corr):
    mock.get("/a", headers={"X-Mock-Correlation": corr})
    mock.get("/b", headers={"X-Mock-Correlation": corr + "-other"})
    mock.get("/c", headers={"X-Mock-Correlation": corr})
    assert [e["path"] for e in mock.journal(corr)] == ["/a", "/c"]


def test_journal_entry_fields(mock, corr):
    before = time.time()
    mock.post("/p?q=1", content=b"abc", headers={"X-Mock-Correlation": corr, "Prefer": "wait=1"})
    [entry] = mock.journal(corr)
    assert set(entry) >= {"seq", "time", "correlation", "method", "path", "query", "headers", "body_size",
                          "body_sha256", "body_base64", "body_truncated", "prefer", "behaviour", "status", "delay"}
    assert before - 1 <= entry["time"] <= time.time() + 1
    assert (entry["method"], entry["path"], entry["query"], entry["prefer"]) == ("POST", "/p", "q=1", "wait=1")
    assert entry["behaviour"] == {"correlation": corr}


def test_after_and_limit_page_through(mock, corr):
    for i in range(5):
        mock.get(f"/{i}", headers={"X-Mock-Correlation": corr})
    entries = mock.journal(corr)
    assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)
    first_two = mock.journal(corr, limit=2)
    rest = mock.journal(corr, after=first_two[-1]["seq"])
    assert [e["path"] for e in first_two + rest] == [f"/{i}" for i in range(5)]
    last_seq = mock.get("/_mock/journal", params={"correlation": corr}).json()["last_seq"]
    assert last_seq >= entries[-1]["seq"]


def test_wait_returns_when_the_entries_arrive(mock, corr):
    def later():
        for _ in range(3):
            httpx.get(mock.url + "/late", headers={"X-Mock-Correlation": corr, "X-Mock-Delay": "0.1"}, timeout=5)

    thread = threading.Thread(target=later)
    started = time.monotonic()
    thread.start()
    try:
        entries = mock.wait_journal(corr, 3, timeout=10)
    finally:
        thread.join(10)
    assert len(entries) == 3
    assert time.monotonic() - started < 5


def test_wait_times_out(mock, corr):
    started = time.monotonic()
    body = mock.get("/_mock/journal/wait", params={"correlation": corr, "count": 1, "timeout": 0.3}).json()
    assert (body["entries"], body["timed_out"], body["next_after"]) == ([], True, None)
    assert 0.3 <= time.monotonic() - started < 3


def test_wait_counts_only_entries_after(mock, corr):
    mock.get(headers={"X-Mock-Correlation": corr})
    seq = mock.journal(corr)[0]["seq"]
    response = mock.get("/_mock/journal/wait", params={"correlation": corr, "count": 1, "after": seq,
                                                       "timeout": 0.2})
    assert response.json()["timed_out"] is True


@pytest.mark.parametrize("params, field", [
    ({"count": "0"}, "count"), ({"count": "x"}, "count"), ({"timeout": "-1"}, "timeout"),
    ({"timeout": "nan"}, "timeout"), ({"after": "-3"}, "after"), ({"timeout": "1e9"}, "timeout"),
])
def test_wait_parameters_are_checked(mock, params, field):
    response = mock.get("/_mock/journal/wait", params=params)
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_journal_limit_checked(mock):
    response = mock.get("/_mock/journal", params={"limit": "0"})
    assert response.status_code == 400 and response.json()["field"] == "limit"


def test_sink_wait_and_query(mock, corr):
    key = "k-" + corr
    thread = threading.Thread(target=lambda: [httpx.post(mock.sink_url(key), content=str(i).encode(), timeout=5)
                                              for i in range(2)])
    thread.start()
    try:
        deliveries = mock.wait_sink(key, 2)
    finally:
        thread.join(10)
    assert [d["body_base64"] for d in deliveries] == ["MA==", "MQ=="]
    assert mock.get("/_mock/webhooks", params={"key": key + "-none"}).json()["deliveries"] == []


def test_scenarios_register_list_get_delete(mock):
    name = "sc-" + uuid.uuid4().hex[:10]
    created = mock.put_scenario(name, {"status": 418, "delay": 0})
    assert created.status_code == 201
    assert created.json() == {"name": name, "fields": {"status": 418, "delay": 0.0}}
    assert mock.put_scenario(name, {"status": 419}).status_code == 200  # replaced
    assert mock.get("/_mock/scenarios").json()["scenarios"][name] == {"status": 419}
    assert mock.get(f"/_mock/scenarios/{name}").json()["fields"] == {"status": 419}
    assert mock.http.delete(f"/_mock/scenarios/{name}").status_code == 200
    assert mock.http.delete(f"/_mock/scenarios/{name}").status_code == 404
    assert mock.get(f"/_mock/scenarios/{name}").status_code == 404


@pytest.mark.parametrize("definition, field", [
    ({"delay": -1}, "delay"), ({"nope": 1}, "nope"), ({"status": "200"}, "status"),
    ({"scenario": "other"}, "scenario"), ([1, 2], "scenario"), ({"body": "a", "json": 1}, "json"),
])
def test_invalid_scenarios_name_the_field(mock, definition, field):
    assert_invalid(mock.put_scenario("bad-" + uuid.uuid4().hex[:8], definition), field, "scenario")


def test_scenario_body_must_be_json(mock):
    response = mock.http.put("/_mock/scenarios/broken", content=b"{not json")
    assert_invalid(response, "scenario", "scenario")


def test_scenario_name_is_checked(mock):
    assert_invalid(mock.put_scenario("x" * 200, {"status": 200}), "scenario", "scenario")


def test_unknown_control_routes_answer_json(mock):
    missing = mock.get("/_mock/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]
    wrong_method = mock.post("/_mock/journal")
    assert wrong_method.status_code == 405 and wrong_method.json()["error"]


def test_stats_count_requests(mock, corr):
    before = mock.stats()
    mock.get(headers={"X-Mock-Correlation": corr})
    mock.get(headers={"X-Mock-Status": "x"})
    after = mock.stats()
    assert after["received"] == before["received"] + 2
    assert after["invalid"] == before["invalid"] + 1
    assert after["in_flight"] == 0


def test_reset_forgets_everything():
    server = start_mock()
    mock = Mock(server.url)
    try:
        mock.get(headers={"X-Mock-Correlation": "c"})
        mock.post("/_mock/webhooks/k", content=b"x")
        mock.put_scenario("s", {"status": 201})
        failing = {"X-Mock-Correlation": "f", "X-Mock-Fail-First": "1"}
        assert mock.get(headers=failing).status_code == 503
        last_seq = mock.get("/_mock/journal").json()["last_seq"]
        assert mock.post("/_mock/reset").status_code == 200
        assert mock.get("/_mock/journal").json()["entries"] == []
        assert mock.get("/_mock/webhooks").json()["deliveries"] == []
        assert mock.get("/_mock/scenarios").json()["scenarios"] == {}
        assert mock.get(headers={"X-Mock-Correlation": "c"}).json()["seq"] == last_seq + 1  # seq keeps counting
        assert mock.get(headers=failing).status_code == 503  # call counters restarted
        assert_invalid(mock.get(headers={"X-Mock-Scenario": "s"}), "scenario")
    finally:
        mock.close()
        server.stop()
