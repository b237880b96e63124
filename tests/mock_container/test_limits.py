"""Limits and bad input: caps, a bounded journal, truncation, garbage on the wire.
Bad input gets a 4xx naming the problem; the server keeps serving."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

import pytest

from tests.conftest import start_mock
from tests.mock_container.helpers import Mock, assert_invalid, mock_headers, raw_exchange


@pytest.fixture(scope="module")
def small() -> Iterator[Mock]:
    """A mock with small limits: 2 s delays, 1000-byte bodies, 16 bytes kept, 5 journal entries."""
    server = start_mock("--max-delay", "2", "--max-body", "1000", "--body-keep", "16", "--journal-size", "5",
                        name="mock-small")
    client = Mock(server.url)
    client.port = server.port
    yield client
    client.close()
    server.stop()


@pytest.fixture(autouse=True)
def still_serving(request):
    yield
    if "small" in request.fixturenames:
        assert request.getfixturevalue("small").get("/health").status_code == 200


@pytest.mark.parametrize("field", ["delay", "delay-max", "drip-duration", "webhook-delay", "webhook-backoff",
                                   "stream-interval"])
def test_durations_above_the_cap(small, field):
    body = assert_invalid(small.get(headers={f"X-Mock-{field}": "2.5"}), field, "header")
    assert "--max-delay" in body["message"]
    assert small.get(headers={f"X-Mock-{field}": "0"}).status_code == 200


def test_random_delays_are_capped(small):
    for i in range(6):  # answered at once (ack), the drawn delay is spent afterwards
        small.get(headers={"Prefer": "respond-async", **mock_headers(
            correlation="cap", delay=1, delay_dist="lognormal", delay_sigma=10, seed=i, **{"async": "ack"})})
    delays = [entry["delay"] for entry in small.journal("cap")]
    assert all(0 <= d <= 2 for d in delays)
    assert 2 in delays  # sigma 10 draws far above the cap: clamped to it


def test_body_above_the_cap_gets_413(small):
    response = small.post(content=b"x" * 1001, headers={"X-Mock-Correlation": "big"})
    assert response.status_code == 413
    assert response.json() == {"error": "body too large", "limit": 1000}
    [entry] = small.journal("big")
    assert entry["status"] == 413 and entry["error"]["error"] == "body too large"


def test_chunked_body_above_the_cap_gets_413(small):
    def chunks():
        for _ in range(20):
            yield b"y" * 100

    assert small.post(content=chunks()).status_code == 413


def test_stored_bodies_are_truncated_but_measured(small):
    body = bytes(range(100))
    echo = small.post(content=body, headers={"X-Mock-Correlation": "trunc"}).json()
    [entry] = small.journal("trunc")
    for document in (echo, entry):
        assert document["body_size"] == 100
        assert document["body_sha256"] == hashlib.sha256(body).hexdigest()
        assert base64.b64decode(document["body_base64"]) == body[:16]
        assert document["body_truncated"] is True


def test_journal_is_a_ring(small):
    seqs = [small.get(headers={"X-Mock-Correlation": "ring"}).json()["seq"] for _ in range(8)]
    assert [e["seq"] for e in small.journal("ring")] == seqs[-5:]
    assert len(small.get("/_mock/journal").json()["entries"]) == 5


def test_random_bytes_capped_by_max_body(small):
    assert_invalid(small.get(headers={"X-Mock-Random-Bytes": "1001"}), "random-bytes")


@pytest.mark.parametrize("name, value", [
    ("delay", "-0.1"), ("delay", "nan"), ("delay", "inf"), ("delay", "1s"), ("seed", "1.5"),
    ("stream-count", "-1"), ("webhook-retries", "21"), ("fail-first", "-1"), ("delay-sigma", "0"),
    ("correlation", "x" * 129), ("content-type", ""), ("stream", "CHUNKED"), ("status", "1e2"),
])
def test_invalid_values(mock, name, value):
    assert_invalid(mock.get(headers={f"X-Mock-{name}": value}), name, "header")


@pytest.mark.parametrize("name", ["Delays", "status-code", "mock", "x"])
def test_unknown_fields(mock, name):
    body = assert_invalid(mock.get(headers={f"X-Mock-{name}": "1"}), name.lower(), "header")
    assert body["message"] == "unknown field"
    assert_invalid(mock.get(params={f"mock-{name.lower()}": "1"}), name.lower(), "query")


def test_non_utf8_values(mock):
    assert_invalid(mock.get(headers={"X-Mock-Body": b"\xff\xfe"}), "body", "header")
    assert_invalid(mock.get("/q?mock-body=%FF%FE"), "body", "query")
    assert mock.get("/q?other=%FF%FE").status_code == 200  # not ours: just echoed


def test_deeply_nested_json_body_is_just_a_body(mock, corr):
    body = b'{"mock": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = mock.post(content=body, headers={"X-Mock-Correlation": corr})
    assert response.status_code == 200  # too deep to parse: not a behaviour, just a body (never a 500)
    assert mock.get("/health").status_code == 200


def test_malformed_http_gets_400_and_the_server_lives(mock_server, mock):
    received, _ = raw_exchange(mock_server.port, b"NOT HTTP AT ALL\r\n\r\n")
    assert received.startswith(b"HTTP/1.1 400")
    received, _ = raw_exchange(mock_server.port, b"GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n")
    assert received.startswith(b"HTTP/1.1 400")
    assert mock.get("/health").status_code == 200
