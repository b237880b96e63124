"""Every byte the mock holds counts against a cap: a request beyond a
per-request cap gets 400 naming the field before any work, one that does
not fit a full store gets 503, and the mock keeps serving."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import start_mock
from tests.mock_container.helpers import TIMEOUT, Mock, assert_invalid, eventually, mock_headers

#: The caps of the `capped` mock below, small enough to reach in a test.
MAX_BODY = 100_000
MAX_RESPONSE = 50_000
INFLIGHT = 150_000
WEBHOOKS = 20_000
TASKS = 30_000
SCENARIOS = 20_000
MAX_HEAD = 4096


@pytest.fixture(scope="module")
def capped() -> Iterator[Mock]:
    server = start_mock("--max-delay", "20", "--max-body", str(MAX_BODY), "--max-response", str(MAX_RESPONSE),
                        "--inflight-bytes", str(INFLIGHT), "--webhook-bytes", str(WEBHOOKS),
                        "--task-bytes", str(TASKS), "--scenario-bytes", str(SCENARIOS),
                        "--max-header-bytes", str(MAX_HEAD), name="mock-capped")
    client = Mock(server.url)
    client.port = server.port
    yield client
    client.close()
    server.stop()


@pytest.fixture(autouse=True)
def nothing_left_held(request):
    """Each test lets go of what it made the mock hold (so the next one starts empty)."""
    yield
    if "capped" in request.fixturenames:
        mock = request.getfixturevalue("capped")
        assert mock.get("/health").status_code == 200
        eventually(lambda: mock.stats()["inflight_bytes"] == mock.stats()["webhooks_bytes"] == 0,
                   what="in-flight and webhook bytes released")


def held(mock: Mock, store: str) -> int:
    return mock.stats()[f"{store}_bytes"]


def assert_over_budget(response: httpx.Response, store: str) -> dict:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["error"] == "over memory budget" and body["store"] == store, body
    assert body["setting"].startswith("--") and body["limit"] > 0
    assert response.headers["retry-after"] == "1"
    return body


# --- per-request caps: 400 before any work ----------------------------------------------------


def test_the_worst_stream_is_refused_at_once(mock):
    """100 000 SSE events of 32 MiB each: refused by arithmetic, nothing made."""
    before = mock.stats()["inflight_bytes"]
    body = assert_invalid(mock.get(headers=mock_headers(stream="sse", stream_count=100_000, stream_interval=0,
                                                        random_bytes=32 * 1024 * 1024)), "stream-count", "header")
    assert "--max-response" in body["message"]
    assert mock.stats()["inflight_bytes"] == before


def test_a_body_over_the_response_cap_names_its_field(capped):
    body = assert_invalid(capped.get(headers=mock_headers(random_bytes=MAX_RESPONSE + 1)), "random-bytes", "header")
    assert "--max-response" in body["message"]
    assert capped.get(headers=mock_headers(random_bytes=MAX_RESPONSE)).status_code == 200


def test_a_stream_over_the_response_cap_names_stream_count(capped, corr):
    body = assert_invalid(capped.get(params={"mock-stream": "chunked", "mock-stream-count": "2000"}),
                          "stream-count", "query")
    assert "--max-response" in body["message"]
    # Every byte 0xff is invalid UTF-8: an SSE event's data is three times the body. The floor
    # (20 x 1 000 bytes) passes; the data, once made, does not, and nothing is sent.
    data = base64.b64encode(b"\xff" * 1000).decode()
    response = capped.get(headers=mock_headers(correlation=corr, stream="sse", stream_count=20, body_base64=data))
    assert_invalid(response, "stream-count", "header")
    [entry] = capped.journal(corr)
    assert entry["status"] == 400 and entry["error"]["field"] == "stream-count"


def test_a_large_json_body_is_not_read_for_fields(mock, corr):
    document = b'{"mock": {"status": 201}, "pad": "' + b"x" * (1024 * 1024) + b'"}'
    assert_invalid(mock.post(content=document), "mock", "body")
    assert mock.post(content=b"[" + document + b"]", headers={"X-Mock-Correlation": corr}).status_code == 200


def test_a_request_head_over_the_cap_gets_431(capped):
    response = capped.get(headers={"X-Pad": "p" * MAX_HEAD})
    assert response.status_code == 431
    assert response.json() == {"error": "request head too large", "limit": MAX_HEAD}
    assert capped.get(headers={"X-Pad": "p" * (MAX_HEAD // 2)}).status_code == 200


def test_the_head_cap_counts_the_head_only(capped):
    """A head under the cap, its blank line cut between two reads, and a body bigger than the cap."""
    head = f"POST /split HTTP/1.1\r\nHost: m\r\nX-Pad: {'p' * (MAX_HEAD // 2)}\r\nContent-Length: {2 * MAX_HEAD}\r\n\r"
    with socket.create_connection(("127.0.0.1", capped.port), timeout=TIMEOUT) as sock:
        sock.sendall(head.encode())
        # A round trip on another connection lets the mock read the first part on its own
        # (should it read both parts at once, the head is whole in one read: the same answer).
        assert capped.stats()["in_flight"] == 0
        sock.sendall(b"\n" + b"b" * (2 * MAX_HEAD))
        assert sock.recv(12) == b"HTTP/1.1 200"


# --- stores: 503 when full, released when done ------------------------------------------------


def ack(mock: Mock, **fields) -> httpx.Response:
    return mock.get(headers={"Prefer": "respond-async", **mock_headers(**{"async": "ack"}, **fields)})


def test_answers_held_during_their_work_fill_the_inflight_budget(capped, corr):
    for _ in range(3):  # answered 202 at once; each holds its 50 000-byte answer for the delay
        assert ack(capped, correlation=corr, random_bytes=MAX_RESPONSE, delay=6).status_code == 202
    assert held(capped, "inflight") == INFLIGHT
    refused = ack(capped, correlation=corr, random_bytes=1)
    assert_over_budget(refused, "inflight")
    entry = capped.journal(corr)[-1]
    assert entry["status"] == 503 and entry["error"]["store"] == "inflight"
    assert capped.get(headers={"X-Mock-Correlation": corr}).status_code == 200  # a plain echo holds nothing
    eventually(lambda: held(capped, "inflight") == 0, timeout=TIMEOUT + 5, what="the held answers released")
    assert ack(capped, random_bytes=MAX_RESPONSE).status_code == 202


def open_upload(port: int, announced: int) -> socket.socket:
    """A request announcing `announced` body bytes and sending only one: the mock holds room for them
    twice while it reads (the pieces, and the whole they are joined into)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.sendall(f"POST /upload HTTP/1.1\r\nHost: m\r\nContent-Length: {announced}\r\n\r\nx".encode())
    return sock


def test_request_bodies_being_read_fill_the_inflight_budget(capped):
    uploads = [open_upload(capped.port, INFLIGHT // 6) for _ in range(3)]
    try:
        eventually(lambda: held(capped, "inflight") == INFLIGHT, what="three announced bodies held")
        response = capped.post(content=b"y" * 10)
        assert_over_budget(response, "inflight")
        assert response.headers["connection"] == "close"
    finally:
        for sock in uploads:
            sock.close()
    eventually(lambda: held(capped, "inflight") == 0, what="the abandoned bodies released")
    assert capped.post(content=b"y" * 10).status_code == 200


def test_pending_webhooks_fill_their_budget(capped, corr):
    key = "mem-" + corr
    slow = capped.sink_url(key, **{"fail-first": 1})  # the first attempt fails; the retry comes 6 s later
    first = capped.get(headers=mock_headers(webhook_url=slow, webhook_retries=1, webhook_backoff=6,
                                            random_bytes=15_000))
    assert first.status_code == 200
    assert held(capped, "webhooks") > 15_000
    assert_over_budget(capped.get(headers=mock_headers(correlation=corr, webhook_url=capped.sink_url(key + "-2"),
                                                       random_bytes=5_000)), "webhooks")
    assert [d["status"] for d in capped.wait_sink(key, 2, timeout=TIMEOUT + 5)] == [503, 200]
    eventually(lambda: held(capped, "webhooks") == 0, what="the delivered webhook released")
    capped.get(headers=mock_headers(webhook_url=capped.sink_url(key + "-3"), random_bytes=5_000))
    capped.wait_sink(key + "-3")


def task(mock: Mock, size: int) -> str:
    response = mock.get(headers={"Prefer": "respond-async", **mock_headers(random_bytes=size, seed=size,
                                                                           **{"async": "task-id"})})
    assert response.status_code == 202, response.text
    return response.json()["task_id"]


def test_task_results_beyond_their_budget_forget_the_oldest(capped):
    ids = [task(capped, 10_000) for _ in range(3)]  # 10 000 bytes + 2 KiB each: two fit in 30 000
    eventually(lambda: capped.get(f"/tasks/{ids[2]}").status_code == 200, what="the last task done")
    assert capped.get(f"/tasks/{ids[0]}").status_code == 404
    assert len(capped.get(f"/tasks/{ids[1]}").content) == 10_000
    assert held(capped, "tasks") <= TASKS


def test_scenarios_beyond_their_budget_are_refused(capped):
    names = ["mem-a-" + str(time.monotonic_ns()), "mem-b-" + str(time.monotonic_ns())]
    try:
        assert capped.put_scenario(names[0], {"body": "x" * 4000}).status_code == 201
        response = capped.put_scenario(names[1], {"body": "x" * 4000})
        assert_invalid(response, "scenario", "scenario")
        assert "--scenario-bytes" in response.json()["message"]
        assert capped.put_scenario(names[0], {"body": "x" * 10}).status_code == 200  # replacing frees its bytes
        assert capped.put_scenario(names[1], {"body": "x" * 4000}).status_code == 201
    finally:
        for name in names:
            capped.http.delete(f"/_mock/scenarios/{name}")
    assert held(capped, "scenarios") == 0


# --- large bodies are made and sent whole -----------------------------------------------------


def sse_expected(data: bytes, count: int) -> bytes:
    lines = data.decode("utf-8", errors="replace").split("\n")
    block = "".join(f"data: {line}\n" for line in lines).encode()
    return b"".join(f"id: {i}\n".encode() + block + b"\n" for i in range(count))


def test_large_random_bodies_are_seeded_and_whole(mock, corr):
    size = 1_000_003  # many parts, and not a multiple of the generator's word
    response = mock.get(headers=mock_headers(correlation=corr, random_bytes=size, seed=11))
    assert response.content == random.Random("11:1").randbytes(size)


def test_a_large_sse_stream_its_webhook_and_its_task_carry_the_same_bytes(mock, corr):
    size, key = 300_001, "mem-" + corr
    fields = dict(correlation=corr, random_bytes=size, seed=5, stream="sse", stream_count=3,
                  webhook_url=mock.sink_url(key), webhook_secret="k")
    streamed = mock.get(headers=mock_headers(**fields)).content
    assert streamed == sse_expected(random.Random("5:1").randbytes(size), 3)
    [delivery] = mock.wait_sink(key)
    assert delivery["body_size"] == len(streamed)
    assert delivery["body_sha256"] == hashlib.sha256(streamed).hexdigest()
    signature = dict(delivery["headers"])["x-mock-signature"]
    assert signature == "sha256=" + hmac.new(b"k", streamed, hashlib.sha256).hexdigest()

    accepted = mock.get(headers={"Prefer": "respond-async", **mock_headers(**{**fields, "async": "task-id"})})
    task_id = accepted.json()["task_id"]
    eventually(lambda: mock.get(f"/tasks/{task_id}").status_code == 200, what="the task done")
    result = mock.get(f"/tasks/{task_id}")
    assert result.content == sse_expected(random.Random("5:2").randbytes(size), 3)
    assert result.headers["content-type"] == "text/event-stream"
