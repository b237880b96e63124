"""Async-aware containers on `Prefer: respond-async`: ack (fire-and-forget) and
task-id (id-returning). Off by default."""

from __future__ import annotations

import base64
import time

import pytest

from tests.mock_container.helpers import assert_invalid, eventually, mock_headers

ASYNC = {"Prefer": "respond-async"}


def test_off_by_default_prefer_is_just_a_header(mock, corr):
    response = mock.post(content=b"x", headers={**ASYNC, **mock_headers(correlation=corr, delay=0.2)})
    assert response.status_code == 200
    assert response.json()["prefer"] == "respond-async"


def test_ack_answers_202_at_once_then_works_and_calls_back(mock, corr):
    key = "ack-" + corr
    started = time.monotonic()
    response = mock.post(content=b"job", headers={**ASYNC, **mock_headers(
        correlation=corr, **{"async": "ack"}, delay=2.0, body="the result", status=201,
        webhook_url=mock.sink_url(key))})
    # an ack that waited for the work would take its whole delay (2 s); the bound is that, not less, so a
    # loaded machine that is slow to answer cannot flip it
    assert time.monotonic() - started < 2.0
    assert response.status_code == 202
    assert response.json() == {"status": "accepted"}
    [entry] = mock.journal(corr)
    assert entry["status"] == 202
    [delivery] = mock.wait_sink(key)
    assert delivery["time"] - entry["time"] >= 2.0  # the work took its delay after the 202
    assert base64.b64decode(delivery["body_base64"]) == b"the result"
    assert dict(delivery["headers"])["x-mock-status"] == "201"


def test_task_id_result_later_at_tasks(mock, corr):
    key = "task-" + corr
    response = mock.post(content=b"job", headers={**ASYNC, **mock_headers(
        correlation=corr, **{"async": "task-id"}, delay=0.5, json='{"answer": 42}', webhook_url=mock.sink_url(key),
        headers='{"X-Model": "m1"}')})
    assert response.status_code == 202
    task_id = response.json()["task_id"]
    assert task_id
    pending = mock.get(f"/tasks/{task_id}")
    assert pending.status_code == 202 and pending.json()["status"] == "pending"
    [delivery] = mock.wait_sink(key)
    assert dict(delivery["headers"])["x-mock-task-id"] == task_id
    done = mock.get(f"/tasks/{task_id}")
    assert done.status_code == 200
    assert done.json() == {"answer": 42}
    assert done.headers["content-type"] == "application/json"
    assert done.headers["x-model"] == "m1"
    assert mock.get(f"/tasks/{task_id}").content == done.content  # reading does not consume


def test_task_result_keeps_a_failure_status(mock, corr):
    response = mock.post(headers={**ASYNC, **mock_headers(correlation=corr, **{"async": "task-id"}, status=500,
                                                          body="boom")})
    task_id = response.json()["task_id"]
    eventually(lambda: mock.get(f"/tasks/{task_id}").status_code != 202, timeout=5, what="task done")
    result = mock.get(f"/tasks/{task_id}")
    assert (result.status_code, result.text) == (500, "boom")


def test_task_ids_are_distinct(mock, corr):
    headers = {**ASYNC, **mock_headers(correlation=corr, **{"async": "task-id"})}
    ids = {mock.post(headers=headers).json()["task_id"] for _ in range(20)}
    assert len(ids) == 20


def test_unknown_task_is_404(mock):
    assert mock.get("/tasks/does-not-exist").status_code == 404


@pytest.mark.parametrize("prefer", ["respond-async-proxy", "respond-async-container", "respond-asyncx",
                                    "wait=5", "respond_async"])
def test_only_respond_async_selects_the_async_answer(mock, corr, prefer):
    response = mock.post(headers={"Prefer": prefer, **mock_headers(correlation=corr, **{"async": "ack"})})
    assert response.status_code == 200
    assert response.json()["prefer"] == prefer


@pytest.mark.parametrize("prefer", ["respond-async, wait=10", "Respond-Async", "respond-async; x=1"])
def test_respond_async_in_a_list_or_with_parameters(mock, corr, prefer):
    response = mock.post(headers={"Prefer": prefer, **mock_headers(correlation=corr, **{"async": "ack"})})
    assert response.status_code == 202


def test_a_fault_wins_over_the_async_answer(mock_server, mock, corr):
    from tests.mock_container.helpers import raw_exchange

    request = (f"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nPrefer: respond-async\r\n"
               f"X-Mock-Async: ack\r\nX-Mock-Fault: close\r\nX-Mock-Correlation: {corr}\r\n\r\n").encode()
    received, _ = raw_exchange(mock_server.port, request)
    assert received == b""


def test_invalid_async_style(mock):
    assert_invalid(mock.get(headers={"X-Mock-Async": "later"}), "async")
