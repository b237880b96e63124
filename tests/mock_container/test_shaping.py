"""Response shaping: literal, JSON, base64 and random bodies, Content-Type, extra headers."""

from __future__ import annotations

import base64
import json

import pytest

from tests.mock_container.helpers import assert_invalid, mock_headers


def test_literal_body_is_text(mock, corr):
    response = mock.get(headers={"X-Mock-Body": "hello wörld".encode()})  # header values are read as UTF-8
    assert response.content == "hello wörld".encode()
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_json_body_from_each_channel(mock, corr):
    document = {"answer": [1, 2, {"x": None}], "text": "é"}
    from_header = mock.get(headers={"X-Mock-Json": json.dumps(document)})
    from_body = mock.post(json={"mock": {"json": document}})
    for response in (from_header, from_body):
        assert response.headers["content-type"] == "application/json"
        assert response.json() == document


def test_json_null_is_a_body(mock):
    assert mock.post(json={"mock": {"json": None}}).content == b"null"


def test_base64_body_is_binary(mock, corr):
    payload = bytes(range(256))
    response = mock.get(headers={"X-Mock-Body-Base64": base64.b64encode(payload).decode()})
    assert response.content == payload
    assert response.headers["content-type"] == "application/octet-stream"


def test_random_bytes_are_seeded(mock, corr):
    first = mock.get(headers=mock_headers(correlation=corr + "-a", random_bytes=1000, seed=5)).content
    second = mock.get(headers=mock_headers(correlation=corr + "-b", random_bytes=1000, seed=5)).content
    third = mock.get(headers=mock_headers(correlation=corr + "-a", random_bytes=1000, seed=5)).content
    assert len(first) == 1000
    assert first == second  # first call of each correlation, same seed
    assert first != third  # the second call of a correlation draws anew


def test_content_type_and_extra_headers(mock, corr):
    response = mock.get(headers={
        "X-Mock-Body": "<p>hi</p>",
        "X-Mock-Content-Type": "text/html; charset=utf-8",
        "X-Mock-Headers": json.dumps({"X-Request-Cost": "3", "Cache-Control": "no-store"}),
    })
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["x-request-cost"] == "3"
    assert response.headers["cache-control"] == "no-store"


def test_content_type_applies_to_echo(mock, corr):
    response = mock.get(headers={"X-Mock-Content-Type": "application/vnd.test+json"})
    assert response.headers["content-type"] == "application/vnd.test+json"
    assert response.json()["method"] == "GET"


def test_only_one_body_field(mock):
    body = assert_invalid(mock.post(params={"mock-body": "a"}, json={"mock": {"json": 1}}), "body", "query")
    assert "only one of" in body["message"]


@pytest.mark.parametrize("headers", [
    '{"Bad Name": "x"}', '{"X-A": 1}', '{"X-A": "line\\nbreak"}', '{"Content-Length": "5"}',
    '{"Transfer-Encoding": "chunked"}', '{"Content-Type": "text/plain"}', '["X-A"]', "not json",
])
def test_invalid_extra_headers(mock, headers):
    assert_invalid(mock.get(headers={"X-Mock-Headers": headers}), "headers", "header")


def test_invalid_base64(mock):
    assert_invalid(mock.get(headers={"X-Mock-Body-Base64": "not base64!"}), "body-base64")


def test_content_type_with_control_characters(mock):
    assert_invalid(mock.post(json={"mock": {"content-type": "text/plain\r\nX-Injected: 1"}}), "content-type", "body")
