"""Bad input gets a clear 4xx, full resources a 503 with Retry-After, broken
containers a 502/504; the gateway stays up through all of it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from conformance.runs.launcher import ManagedServer, free_port

from .harness import Journal, poll_status, start_gateway, submit_async


def assert_json_error(response: httpx.Response, status: int, mentions: str = "") -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert isinstance(document["error"], str) and mentions.lower() in document["error"].lower()
    return document


def test_unknown_deployment_and_route_errors(client: httpx.Client, gateway_url: str) -> None:
    assert_json_error(client.post(f"{gateway_url}/nope/x"), 404, "nope")
    assert_json_error(client.post(f"{gateway_url}/status/mock", headers={"X-Inference-Id": "a"}), 405)
    assert_json_error(client.request("PROPFIND", f"{gateway_url}/mock/x"), 405)
    assert_json_error(client.get(f"{gateway_url}/status/mock/extra", headers={"X-Inference-Id": "a"}), 404)


def test_repeated_id_header_is_a_400(client: httpx.Client, gateway_url: str) -> None:
    response = client.get(f"{gateway_url}/status/mock", headers=[("X-Inference-Id", "a"), ("X-Inference-Id", "b")])
    assert assert_json_error(response, 400, "X-Inference-Id")["header"] == "X-Inference-Id"


@pytest.fixture(scope="module")
def tight(mock_url: str) -> Iterator[ManagedServer]:
    """One relayed call at a time, 1 KiB bodies."""
    server = start_gateway(f"mock={mock_url}", args=(
        "--max-sync", "1", "--max-body", "1KiB"))
    yield server
    server.stop()


@pytest.mark.parametrize("prefer", [None, "respond-async", "respond-async-proxy", "respond-async-container"])
def test_bodies_over_the_cap_get_413_and_never_reach_the_container(
        client: httpx.Client, tight: ManagedServer, journal: Journal, correlation: str, prefer: str | None) -> None:
    headers = {"X-Mock-Correlation": correlation, **({"Prefer": prefer} if prefer else {})}
    url = f"{tight.url}/mock/x"
    assert_json_error(client.post(url, content=b"x" * 1025, headers=headers), 413, "limit")

    def chunked() -> Iterator[bytes]:  # no Content-Length: the cap is enforced while reading
        yield b"x" * 1000
        yield b"x" * 1000

    assert_json_error(client.post(url, content=chunked(), headers=headers), 413, "limit")
    assert client.post(url, content=b"x" * 1024, headers=headers).status_code in (200, 202)
    entries = journal.wait(correlation, 1)
    assert [entry["body_size"] for entry in entries] == [1024]
    assert client.get(f"{tight.url}/health").status_code == 200


def test_full_store_and_full_queue_answer_503_with_retry_after(
        client: httpx.Client, mock_url: str, gateway_factory: Callable[..., ManagedServer], journal: Journal,
        correlation: str) -> None:
    gateway = gateway_factory(f"mock={mock_url}", args=("--workers", "1", "--queue-size", "1", "--max-stored", "2"))
    url = f"{gateway.url}/mock/x"
    first = submit_async(client, url, correlation, headers={"X-Mock-Delay": "1.5"})
    journal.wait(correlation, 1)  # the one worker is busy for 1.5 s
    second = submit_async(client, url, correlation)  # waits in the queue of one
    assert (first.status_code, second.status_code) == (202, 202)
    store_full = submit_async(client, url, correlation)  # a third record: the store holds two
    assert_json_error(store_full, 503)
    assert int(store_full.headers["retry-after"]) >= 1
    queue_full = client.post(url, headers={"Prefer": "respond-async-proxy", "X-Mock-Correlation": correlation})
    assert_json_error(queue_full, 503, "queue")
    assert int(queue_full.headers["retry-after"]) >= 1
    # Nothing was lost: both accepted requests finish, the refused ones never ran.
    for accepted in (first, second):
        poll_status(client, f"{gateway.url}/status/mock", accepted.json()["Id"])
    journal.wait_none_beyond(correlation, 2, timeout=0.2)


async def _two_sync(url: str, journal: Journal, correlation: str) -> tuple[httpx.Response, httpx.Response]:
    async with httpx.AsyncClient(timeout=10) as http:
        slow = asyncio.create_task(http.get(url, headers={"X-Mock-Correlation": correlation, "X-Mock-Delay": "1"}))
        await asyncio.to_thread(journal.wait, correlation, 1)
        second = await http.get(url, headers={"X-Mock-Correlation": correlation})
        return await slow, second


def test_relayed_calls_over_the_limit_get_503(tight: ManagedServer, journal: Journal, correlation: str) -> None:
    slow, second = asyncio.run(_two_sync(f"{tight.url}/mock/s", journal, correlation))
    assert slow.status_code == 200
    assert_json_error(second, 503, "in flight")
    assert "retry-after" in second.headers


def test_sync_errors_from_the_container_side(client: httpx.Client, mock_url: str,
                                             gateway_factory: Callable[..., ManagedServer], correlation: str) -> None:
    gateway = gateway_factory(f"dead=http://127.0.0.1:{free_port()}", f"mock={mock_url}",
                              args=("--container-timeout", "1", "--connect-retries", "1"))
    headers = {"X-Mock-Correlation": correlation}
    assert_json_error(client.post(f"{gateway.url}/dead/x"), 502, "connect")
    assert_json_error(client.post(f"{gateway.url}/dead/x", headers={"Prefer": "respond-async-container"}), 502)
    assert_json_error(client.post(f"{gateway.url}/mock/x", headers={**headers, "X-Mock-Fault": "hang"}), 504)
    for fault in ("close", "reset", "garbage"):
        assert_json_error(client.post(f"{gateway.url}/mock/x", headers={**headers, "X-Mock-Fault": fault}), 502)
    # fire-and-forget to a dead container: accepted, then logged; the gateway stays up
    assert client.post(f"{gateway.url}/dead/x", headers={"Prefer": "respond-async-proxy"}).status_code == 202
    assert client.get(f"{gateway.url}/health").status_code == 200


def test_a_body_broken_off_mid_relay_is_not_passed_as_complete(base: str, gateway_url: str,
                                                               correlation: str) -> None:
    with httpx.Client(timeout=10) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.get(f"{base}/x", headers={"X-Mock-Correlation": correlation, "X-Mock-Fault": "bad-chunked"})
        assert http.get(f"{gateway_url}/health").status_code == 200


def test_a_client_that_leaves_mid_stream_frees_its_slot(tight: ManagedServer, client: httpx.Client,
                                                        correlation: str) -> None:
    headers = {"X-Mock-Correlation": correlation, "X-Mock-Stream": "sse", "X-Mock-Stream-Count": "100",
               "X-Mock-Stream-Interval": "0.2"}  # 20 s of events
    with httpx.Client(timeout=10) as leaving, leaving.stream("GET", f"{tight.url}/mock/s", headers=headers) as stream:
        assert stream.status_code == 200
        next(stream.iter_raw())
    deadline = time.monotonic() + 5
    while client.get(f"{tight.url}/health").json()["deployments"]["mock"]["relayed_in_flight"]:
        assert time.monotonic() < deadline, "the relay kept its slot after the client left"
        time.sleep(0.05)
    assert client.get(f"{tight.url}/mock/after", headers={"X-Mock-Correlation": correlation}).status_code == 200
