"""Streaming responses, chunked and server-sent events, really incremental."""

from __future__ import annotations

import json
import time

import httpx

from tests.mock_container.helpers import assert_invalid, mock_headers


def timed_chunks(url: str, headers: dict) -> tuple[httpx.Response, list[tuple[float, bytes]]]:
    started = time.monotonic()
    chunks = []
    with httpx.stream("GET", url, headers=headers, timeout=10) as response:
        for chunk in response.iter_raw():
            chunks.append((time.monotonic() - started, chunk))
    return response, chunks


def test_chunked_stream_is_incremental(mock_url, corr):
    response, chunks = timed_chunks(mock_url + "/stream", mock_headers(
        correlation=corr, stream="chunked", stream_count=4, stream_interval=0.3))
    assert response.headers["transfer-encoding"] == "chunked"
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = b"".join(c for _, c in chunks).decode().splitlines()
    assert [json.loads(line) for line in lines] == [{"index": i, "count": 4, "correlation": corr} for i in range(4)]
    # The first piece arrived long before the last was produced (0.9 s after the first).
    assert chunks[0][0] < chunks[-1][0] - 0.6


def test_sse_events(mock_url, corr):
    response, chunks = timed_chunks(mock_url + "/events", mock_headers(
        correlation=corr, stream="sse", stream_count=3, stream_interval=0.2))
    assert response.headers["content-type"] == "text/event-stream"
    events = b"".join(c for _, c in chunks).decode().split("\n\n")
    assert events[-1] == ""
    assert events[:3] == [f'id: {i}\ndata: {{"index":{i},"count":3,"correlation":"{corr}"}}' for i in range(3)]
    assert chunks[0][0] < chunks[-1][0] - 0.3


def test_body_is_split_across_chunks(mock_url):
    body = "abcdefghij" * 3
    response, chunks = timed_chunks(mock_url + "/s", mock_headers(stream="chunked", stream_count=3,
                                                                  stream_interval=0.1, body=body))
    assert b"".join(c for _, c in chunks).decode() == body
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_sse_with_body_repeats_it_as_data(mock_url):
    response, chunks = timed_chunks(mock_url + "/s", mock_headers(stream="sse", stream_count=2, body="line1"))
    assert b"".join(c for _, c in chunks) == b"id: 0\ndata: line1\n\nid: 1\ndata: line1\n\n"


def test_stream_status_and_headers(mock_url):
    response, _ = timed_chunks(mock_url + "/s", {**mock_headers(stream="chunked", stream_count=1, status=206),
                                                 "X-Mock-Headers": '{"X-Stream": "yes"}'})
    assert response.status_code == 206
    assert response.headers["x-stream"] == "yes"


def test_stream_longer_than_max_delay_is_refused(mock):
    assert_invalid(mock.get(headers=mock_headers(stream="sse", stream_count=1000, stream_interval=1)),
                   "stream-interval")


def test_unknown_stream_kind(mock):
    assert_invalid(mock.get(headers=mock_headers(stream="websocket")), "stream")
