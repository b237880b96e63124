"""Webhook calls after processing: content, signature, delay, retries, allowlist."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest

from tests.mock_container.helpers import assert_invalid, eventually, mock_headers


def delivery_headers(delivery: dict) -> dict[str, str]:
    return {name: value for name, value in delivery["headers"]}


def test_webhook_carries_the_response(mock, corr):
    key = "wh-" + corr
    response = mock.post(content=b"in", headers=mock_headers(
        correlation=corr, webhook_url=mock.sink_url(key), status=201, json='{"result": 1}'))
    [delivery] = mock.wait_sink(key)
    assert base64.b64decode(delivery["body_base64"]) == response.content == b'{"result":1}'
    headers = delivery_headers(delivery)
    assert headers["content-type"] == "application/json"
    assert headers["x-mock-correlation"] == corr
    assert headers["x-mock-status"] == "201"
    assert headers["x-mock-seq"] == str(mock.journal(corr)[0]["seq"])
    assert delivery["method"] == "POST" and delivery["key"] == key and delivery["status"] == 200


def test_echo_response_is_the_webhook_body(mock, corr):
    key = "wh-" + corr
    echo = mock.post(content=b"payload", headers=mock_headers(correlation=corr, webhook_url=mock.sink_url(key)))
    [delivery] = mock.wait_sink(key)
    assert base64.b64decode(delivery["body_base64"]) == echo.content


def test_hmac_signature(mock, corr):
    key = "wh-" + corr
    mock.get(headers=mock_headers(correlation=corr, webhook_url=mock.sink_url(key), webhook_secret="s3cret",
                                  body="signed body"))
    [delivery] = mock.wait_sink(key)
    body = base64.b64decode(delivery["body_base64"])
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert delivery_headers(delivery)["x-mock-signature"] == expected


def test_no_signature_without_secret(mock, corr):
    key = "wh-" + corr
    mock.get(headers=mock_headers(webhook_url=mock.sink_url(key)))
    [delivery] = mock.wait_sink(key)
    assert "x-mock-signature" not in delivery_headers(delivery)


def test_webhook_delay(mock, corr):
    key = "wh-" + corr
    mock.get(headers=mock_headers(correlation=corr, webhook_url=mock.sink_url(key), webhook_delay=0.5))
    [delivery] = mock.wait_sink(key)
    [entry] = mock.journal(corr)
    assert delivery["time"] - entry["time"] >= 0.49  # timers may fire a little early


def test_retries_with_doubling_backoff(mock, corr):
    key = "wh-" + corr
    url = mock.sink_url(key, **{"fail-first": 2})  # the sink answers 503 twice, then 200
    mock.get(headers=mock_headers(correlation=corr, webhook_url=url, webhook_retries=3, webhook_backoff=0.2))
    deliveries = mock.wait_sink(key, 3)
    assert [d["status"] for d in deliveries] == [503, 503, 200]
    assert [delivery_headers(d)["x-mock-attempt"] for d in deliveries] == ["1", "2", "3"]
    gaps = [b["time"] - a["time"] for a, b in zip(deliveries, deliveries[1:], strict=False)]
    assert gaps[0] >= 0.19 and gaps[1] >= 0.39  # timers may fire a little early
    # Delivered: no fourth attempt even though one retry was left.
    response = mock.get("/_mock/webhooks/wait", params={"key": key, "count": 4, "timeout": 0.6})
    assert response.json()["timed_out"] is True


def test_gives_up_after_the_retries(mock, corr):
    key = "wh-" + corr
    url = mock.sink_url(key, **{"fail-first": 10, "fail-status": 500})
    mock.get(headers=mock_headers(webhook_url=url, webhook_retries=1, webhook_backoff=0.05))
    assert len(mock.wait_sink(key, 2)) == 2
    response = mock.get("/_mock/webhooks/wait", params={"key": key, "count": 3, "timeout": 0.5})
    assert response.json()["timed_out"] is True


def test_a_4xx_answer_is_not_retried(mock, corr):
    key = "wh-" + corr
    url = mock.sink_url(key, **{"fail-first": 5, "fail-status": 404})
    mock.get(headers=mock_headers(webhook_url=url, webhook_retries=3, webhook_backoff=0.05))
    mock.wait_sink(key, 1)
    response = mock.get("/_mock/webhooks/wait", params={"key": key, "count": 2, "timeout": 0.4})
    assert response.json()["timed_out"] is True


def test_unreachable_target_fails_without_harm(mock, corr, unused_port):
    failed_before = mock.stats()["webhooks_failed"]
    started = time.monotonic()
    response = mock.get(headers=mock_headers(correlation=corr, webhook_url=f"http://127.0.0.1:{unused_port}/hook",
                                             webhook_retries=1, webhook_backoff=0.05))
    assert response.status_code == 200
    assert time.monotonic() - started < 5  # the answer does not wait for the webhook
    eventually(lambda: mock.stats()["webhooks_failed"] > failed_before, timeout=5, what="webhook given up")
    assert mock.get("/health").status_code == 200


@pytest.fixture
def unused_port() -> int:
    from conformance.runs.launcher import free_port

    return free_port()


@pytest.mark.parametrize("url", [
    "http://10.0.0.1/hook", "http://example.com/hook", "http://169.254.169.254/latest", "http://[::2]/x",
    "http://0.0.0.0:80/x", "ftp://127.0.0.1/x", "not a url", "http:///nohost", "http://127.0.0.1:99999/x",
])
def test_targets_outside_the_allowlist_are_refused(mock, url):
    assert_invalid(mock.get(headers={"X-Mock-Webhook-Url": url}), "webhook-url", "header")


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "localhost", "[::1]"])
def test_loopback_targets_are_allowed(mock, corr, host):
    response = mock.get(headers=mock_headers(webhook_url=f"http://{host}:9/hook", correlation=corr))
    assert response.status_code == 200


def test_sink_records_any_method_and_query(mock, corr):
    key = "sink-" + corr
    for method in ("PUT", "PATCH", "GET", "DELETE"):
        assert mock.request(method, f"/_mock/webhooks/{key}?a=1", content=b"" if method == "GET" else b"x"
                            ).status_code == 200
    deliveries = mock.wait_sink(key, 4)
    assert [d["method"] for d in deliveries] == ["PUT", "PATCH", "GET", "DELETE"]
    assert all(d["query"] == "a=1" for d in deliveries)
    listed = mock.get("/_mock/webhooks", params={"key": key}).json()["deliveries"]
    assert [d["seq"] for d in listed] == [d["seq"] for d in deliveries]


def test_a_bodiless_status_sends_an_empty_webhook_body(mock, corr):
    key = "wh-" + corr
    mock.get(headers=mock_headers(webhook_url=mock.sink_url(key), status=204, body="not sent"))
    [delivery] = mock.wait_sink(key)
    assert delivery["body_size"] == 0
    assert dict(delivery["headers"])["x-mock-status"] == "204"


@pytest.mark.parametrize("path", ["/_mock/reset", "/_mock/scenarios/x", "/_mock/journal", "/_mock/webhooks/../reset",
                                  "/%5Fmock/reset", "/_mock"])
def test_targets_on_a_mock_control_api_are_refused(mock, corr, path):
    body = assert_invalid(mock.get(headers=mock_headers(correlation=corr, webhook_url=mock.url + path)),
                          "webhook-url", "header")
    assert "control API" in body["message"]
    assert_invalid(mock.post(json={"mock": {"webhook-url": mock.url + path}}), "webhook-url", "body")
    assert_invalid(mock.put_scenario("hook-" + corr[-12:], {"webhook-url": mock.url + path}), "webhook-url",
                   "scenario")


def test_a_webhook_cannot_reset_the_mock_but_reaches_its_sink(mock, corr):
    key = "wh-" + corr
    assert mock.get(headers=mock_headers(correlation=corr, webhook_url=mock.url + "/_mock/reset")).status_code == 400
    response = mock.get(headers=mock_headers(correlation=corr, webhook_url=mock.sink_url(key)))
    assert response.status_code == 200
    mock.wait_sink(key)
    assert len(mock.journal(corr)) == 2  # nothing reset the journal


def test_a_bare_sink_path_is_the_mocks_own_sink(mock, corr):
    """A mock behind a gateway or one of several replicas is told `/_mock/webhooks/<key>` and delivers to itself."""
    key = f"own-{corr}"
    response = mock.post(content=b"to myself", headers=mock_headers(correlation=corr, webhook_url=f"/_mock/webhooks/{key}"))
    assert response.status_code == 200, response.text
    [delivery] = mock.wait_sink(key)
    assert base64.b64decode(delivery["body_base64"]) == response.content


@pytest.mark.parametrize("path", ["/hooks/k", "/_mock/reset", "/_mock/webhooks/", "/_mock/webhooks/../scenarios/x"])
def test_a_bare_path_that_is_not_the_sink_is_refused(mock, corr, path):
    assert_invalid(mock.post(headers=mock_headers(correlation=corr, webhook_url=path)), "webhook-url", "header")
