"""The webhook sink a container run starts: records deliveries by key, wakes waits on arrival, stops cleanly."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from conformance.runs.container.sink import WebhookSink


@pytest.fixture
def sink():  # type: ignore[no-untyped-def]
    with WebhookSink() as running:
        yield running


def test_a_wait_is_answered_when_the_delivery_arrives(sink: WebhookSink) -> None:
    answers: list[dict] = []
    with httpx.Client(base_url=sink.url, timeout=10) as client:
        waiter = threading.Thread(target=lambda: answers.append(client.get("/wait/k1", params={"timeout": 5}).json()))
        waiter.start()
        started = time.monotonic()
        posted = client.post("/hooks/k1?x=1", json={"completion": "hi"}, headers={"X-Mock-Seq": "7"})
        waiter.join(10)
        waited = time.monotonic() - started
    assert posted.status_code == 200 and posted.json()["recorded"] is True
    assert answers and answers[0]["timed_out"] is False and waited < 5  # woken by the arrival, not the timeout
    delivery = answers[0]["deliveries"][0]
    assert delivery["method"] == "POST" and delivery["key"] == "k1" and delivery["query"] == "x=1"
    assert delivery["content_type"] == "application/json" and '"completion"' in delivery["body_start"]
    assert ["x-mock-seq", "7"] in delivery["headers"]


def test_keys_are_kept_apart_and_a_wait_times_out(sink: WebhookSink) -> None:
    with httpx.Client(base_url=sink.url, timeout=10) as client:
        client.put("/hooks/other", content=b"x")
        answer = client.get("/wait/mine", params={"timeout": 0.2}).json()
        two = client.get("/wait/other", params={"count": 2, "timeout": 0.2}).json()
        bad = client.get("/wait/mine", params={"count": 0})
    assert answer == {"deliveries": [], "timed_out": True}
    assert two["timed_out"] is True and len(two["deliveries"]) == 1
    assert bad.status_code == 400 and "count" in bad.json()["message"]


def test_it_stops_and_frees_its_port() -> None:
    sink = WebhookSink().start()
    url = sink.url
    assert httpx.post(f"{url}/hooks/a", timeout=5).status_code == 200
    sink.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"{url}/hooks/a", timeout=2)
