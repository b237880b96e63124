"""Default behaviour: echo a JSON description of the request as received."""

from __future__ import annotations

import base64
import hashlib

import pytest


def test_echo_describes_the_request(mock, corr):
    body = b'{"prompt": "hi"}'
    response = mock.post("/v1/generate?b=2&a=1", content=body,
                         headers={"Content-Type": "application/json", "X-Custom": "one", "Prefer": "wait=5",
                                  "X-Mock-Correlation": corr})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    echo = response.json()
    assert echo["method"] == "POST"
    assert echo["path"] == "/v1/generate"
    assert echo["query"] == "b=2&a=1"
    assert echo["body_size"] == len(body)
    assert echo["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert base64.b64decode(echo["body_base64"]) == body
    assert echo["body_truncated"] is False
    assert echo["prefer"] == "wait=5"
    assert echo["correlation"] == corr
    assert ["x-custom", "one"] in echo["headers"]
    assert ["content-type", "application/json"] in echo["headers"]
    [entry] = mock.journal(corr)
    assert entry["seq"] == echo["seq"]


def test_headers_keep_order_and_repeated_lines(mock, corr):
    response = mock.get(headers=[("X-Mock-Correlation", corr), ("X-B", "1"), ("X-A", "2"), ("X-B", "3"),
                                 ("Prefer", "respond-async"), ("Prefer", "wait=10")])
    echo = response.json()
    names = [name for name, _ in echo["headers"]]
    assert names.index("x-b") < names.index("x-a") < len(names) - 1 - names[::-1].index("x-b")
    assert [v for n, v in echo["headers"] if n == "x-b"] == ["1", "3"]
    assert echo["prefer"] == "respond-async, wait=10"


def test_no_prefer_is_null(mock, corr):
    assert mock.get(headers={"X-Mock-Correlation": corr}).json()["prefer"] is None


def test_prefer_reaches_echo_byte_for_byte(mock, corr):
    value = 'Respond-Async ; x="a,b" ;  wait=5'
    echo = mock.get(headers={"X-Mock-Correlation": corr, "Prefer": value}).json()
    assert echo["prefer"] == value


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_every_method_is_echoed(mock, corr, method):
    response = mock.request(method, "/m", content=b"x" if method != "GET" else None,
                            headers={"X-Mock-Correlation": corr})
    assert response.status_code == 200
    assert response.json()["method"] == method


def test_binary_body_round_trips(mock, corr):
    body = bytes(range(256)) * 4 + b"\xff\xfe\x00"
    echo = mock.post(content=body, headers={"X-Mock-Correlation": corr,
                                            "Content-Type": "application/octet-stream"}).json()
    assert base64.b64decode(echo["body_base64"]) == body
    assert echo["body_sha256"] == hashlib.sha256(body).hexdigest()
    [entry] = mock.journal(corr)
    assert base64.b64decode(entry["body_base64"]) == body


def test_one_mebibyte_body(mock, corr):
    body = bytes(range(256)) * 4096
    echo = mock.post(content=body, headers={"X-Mock-Correlation": corr}).json()
    assert echo["body_size"] == len(body)
    assert echo["body_sha256"] == hashlib.sha256(body).hexdigest()


def test_path_is_as_received_not_decoded(mock, corr):
    echo = mock.get("/a%20b/c%2Fd", headers={"X-Mock-Correlation": corr}).json()
    assert echo["path"] == "/a%20b/c%2Fd"


def test_head_gets_headers_only(mock, corr):
    response = mock.request("HEAD", "/h", headers={"X-Mock-Correlation": corr})
    assert response.status_code == 200
    assert response.content == b""
    assert mock.journal(corr)[0]["method"] == "HEAD"


def test_control_routes_are_not_journaled(mock, corr):
    before = mock.get("/_mock/journal", params={"limit": 1}).json()["last_seq"]
    mock.get("/health")
    mock.get("/_mock/stats")
    mock.get("/_mock/journal", params={"correlation": corr})
    mock.post("/_mock/webhooks/k-" + corr, content=b"x")
    assert mock.get("/_mock/journal", params={"limit": 1}).json()["last_seq"] == before
    mock.post(headers={"X-Mock-Correlation": corr})
    assert mock.get("/_mock/journal", params={"limit": 1}).json()["last_seq"] == before + 1
