"""The container run's webhook sink is the mock container's: its routes, its JSON shape, its bounds, its client."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from conformance.runs.container.sink import MockSink, SinkStartError
from mock_container.client import MockClient
from mock_container.settings import Settings


@pytest.fixture
def sink():  # type: ignore[no-untyped-def]
    with MockSink() as running:
        yield running


def test_a_wait_is_answered_when_the_delivery_arrives(sink: MockSink) -> None:
    pages = []
    with httpx.Client(timeout=10) as http:
        mock = MockClient(http, sink.url)
        waiter = threading.Thread(target=lambda: pages.append(mock.wait_webhooks("k1", 1, 5)))
        waiter.start()
        started = time.monotonic()
        posted = http.post(f"{sink.url}/_mock/webhooks/k1?x=1", json={"text": "hi"}, headers={"X-Seq": "7"})
        waiter.join(10)
        waited = time.monotonic() - started
    assert posted.status_code == 200 and posted.json()["recorded"] is True
    assert pages and pages[0].timed_out is False and waited < 5  # woken by the arrival, not the timeout
    delivery = pages[0].records[0]
    assert (delivery.method, delivery.key, delivery.query) == ("POST", "k1", "x=1")
    assert delivery.content_type == "application/json" and delivery.body == b'{"text":"hi"}'
    assert delivery.header_values("x-seq") == ["7"]


def test_every_key_at_once_for_a_deploy_time_target(sink: MockSink) -> None:
    with httpx.Client(timeout=10) as http:
        for key in ("container", "other", "container"):
            http.post(f"{sink.url}/_mock/webhooks/{key}", content=b"x")
        page = MockClient(http, sink.url).wait_webhooks(None, 3, 5)
    assert [d.key for d in page.records] == ["container", "other", "container"]
    assert [d.seq for d in page.records] == sorted(d.seq for d in page.records)


def test_it_has_the_mock_s_bounds(sink: MockSink) -> None:
    """From issue #14: a sink that may listen on 0.0.0.0 refuses what it cannot keep."""
    limit = Settings().max_body
    with httpx.Client(timeout=30) as http:
        too_big = http.post(f"{sink.url}/_mock/webhooks/big", content=b"x" * (limit + 1))
        page = MockClient(http, sink.url).webhooks("big")
    assert too_big.status_code == 413 and too_big.json() == {"error": "body too large", "limit": limit}
    assert page.records == ()


def test_a_call_to_a_wrong_path_lands_in_the_journal(sink: MockSink) -> None:
    """A container configured with a URL outside /_mock/webhooks/ is seen, so the miss can be explained."""
    with httpx.Client(timeout=10) as http:
        answered = http.post(f"{sink.url}/hook", json={"text": "hi"})
        mock = MockClient(http, sink.url)
        entries, calls = mock.journal().records, mock.webhooks().records
    assert answered.status_code == 200
    assert [(e.method, e.path) for e in entries] == [("POST", "/hook")] and calls == ()


def test_a_port_in_use_is_a_clear_error_and_a_stop_frees_the_port() -> None:
    first = MockSink().start()
    port = first.port
    with pytest.raises(SinkStartError, match=f"cannot listen on 127.0.0.1:{port}"):
        MockSink(port=port).start()
    url = first.url
    first.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"{url}/_mock/webhooks/a", timeout=2)
    MockSink(port=port).start().stop()  # free again


def test_on_every_interface_the_suite_reads_it_over_loopback() -> None:
    with MockSink("0.0.0.0") as sink:
        assert sink.url == f"http://127.0.0.1:{sink.port}"
        with httpx.Client(timeout=10) as http:
            assert MockClient(http, sink.url).info().sink == f"http://127.0.0.1:{sink.port}/_mock/webhooks/"
