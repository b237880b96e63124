"""respond-async-proxy: 202 with an empty body at once, one delivery with
`Prefer: respond-async` (GW-PROXY-01..05)."""

from __future__ import annotations

import asyncio
import time

import httpx

from .harness import Journal, entry_body, header_values


def test_202_at_once_then_exactly_one_delivery(client: httpx.Client, base: str, journal: Journal,
                                               correlation: str) -> None:
    started = time.monotonic()
    response = client.post(f"{base}/v1/job?id=9", content=b'{"input": [1, 2]}', headers={
        "Prefer": "respond-async-proxy", "Content-Type": "application/json",
        "X-Mock-Correlation": correlation, "X-Mock-Delay": "2"})
    elapsed = time.monotonic() - started
    assert (response.status_code, response.content) == (202, b"")  # GW-PROXY-01
    assert elapsed < 2.0  # GW-PROXY-02: the container takes 2 s; an accept that waited for it takes as long
    (entry,) = journal.wait(correlation)  # GW-PROXY-03
    assert (entry["method"], entry["path"], entry["query"]) == ("POST", "/v1/job", "id=9")
    assert entry_body(entry) == b'{"input": [1, 2]}'
    assert header_values(entry, "content-type") == ["application/json"]
    assert header_values(entry, "prefer") == ["respond-async"]
    journal.wait_none_beyond(correlation, 1, timeout=2.5)  # the 2 s answer comes and nothing is re-sent


def test_other_preferences_travel_with_respond_async(client: httpx.Client, base: str, journal: Journal,
                                                     correlation: str) -> None:
    client.post(f"{base}/x", headers={"Prefer": "wait=5, Respond-Async-Proxy; p=1", "X-Mock-Correlation": correlation})
    (entry,) = journal.wait(correlation)
    assert header_values(entry, "prefer") == ["wait=5, respond-async"]


def test_the_containers_webhook_is_called(client: httpx.Client, base: str, mock_url: str, journal: Journal,
                                          correlation: str) -> None:  # GW-PROXY-04
    response = client.post(f"{base}/x", content=b"work", headers={
        "Prefer": "respond-async-proxy", "X-Mock-Correlation": correlation, "X-Mock-Async": "ack",
        "X-Mock-Delay": "0.2", "X-Mock-Webhook-Url": f"{mock_url}/_mock/webhooks/{correlation}"})
    assert response.status_code == 202
    (delivery,) = journal.webhooks(correlation)
    assert header_values(delivery, "x-mock-correlation") == [correlation]


async def _fire(base: str, correlation: str, count: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(timeout=10) as http:
        return await asyncio.gather(*[
            http.post(f"{base}/n", content=str(index).encode(), headers={
                "Prefer": "respond-async-proxy", "X-Mock-Correlation": correlation, "X-Mock-Delay": "0.2"})
            for index in range(count)
        ])


def test_no_submission_is_dropped(base: str, journal: Journal, correlation: str) -> None:  # GW-PROXY-05
    responses = asyncio.run(_fire(base, correlation, 32))
    assert [response.status_code for response in responses] == [202] * 32
    entries = journal.wait_none_beyond(correlation, 32, timeout=0.5)
    assert sorted(int(entry_body(entry)) for entry in entries) == list(range(32))
