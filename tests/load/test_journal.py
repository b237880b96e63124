"""The instrument's count: several mocks' journals add up per body, and a
journal ring that evicted entries before they were read is reported, never
silently counted short."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator

import httpx
import pytest

from conformance.runs.launcher import ManagedServer
from conformance.runs.load.journal import JournalTail, webhook_counts

from ..conftest import start_mock


@pytest.fixture
def small_mock() -> Iterator[ManagedServer]:
    server = start_mock("--journal-size", "8", name="small-mock")
    yield server
    server.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as http:
        yield http


def post(client: httpx.Client, url: str, correlation: str, body: bytes, **query: str) -> None:
    params = {"mock-correlation": correlation, **{f"mock-{k}": v for k, v in query.items()}}
    assert client.post(f"{url}/infer", params=params, content=body).status_code == 200


def test_several_mocks_are_one_count_per_body(mock_url: str, small_mock: ManagedServer, client: httpx.Client) -> None:
    correlation = f"t-{uuid.uuid4().hex}"
    tail = JournalTail((mock_url, small_mock.url), correlation, client)
    tail.start()
    once, twice = b'{"n": 1}', b'{"n": 2}'
    post(client, mock_url, correlation, once)
    post(client, mock_url, correlation, twice)
    post(client, small_mock.url, correlation, twice)  # the same body reached the second replica too
    post(client, mock_url, "someone-else", b'{"n": 3}')
    assert tail.poll() == 3
    sha = lambda body: hashlib.sha256(body).hexdigest()  # noqa: E731
    assert tail.counts == {sha(once): 1, sha(twice): 2}
    assert tail.gaps == []
    assert tail.poll() == 0  # read forward: nothing is counted twice


def test_an_evicting_ring_is_reported(small_mock: ManagedServer, client: httpx.Client) -> None:
    correlation = f"t-{uuid.uuid4().hex}"
    tail = JournalTail((small_mock.url,), correlation, client)
    tail.start()
    for n in range(3):
        post(client, small_mock.url, correlation, f'{{"n": {n}}}'.encode())
    tail.poll()
    assert tail.gaps == [] and sum(tail.counts.values()) == 3
    for n in range(3, 15):  # more than the ring holds, between two reads
        post(client, small_mock.url, correlation, f'{{"n": {n}}}'.encode())
    tail.poll()
    assert sum(tail.counts.values()) < 15
    assert len(tail.gaps) == 1 and "evicted" in tail.gaps[0]


def test_webhook_deliveries_are_counted_by_the_submission_they_echo(mock_url: str, client: httpx.Client) -> None:
    key = f"k-{uuid.uuid4().hex}"
    body = f'{{"n": "{key}"}}'.encode()
    post(client, mock_url, key, body, **{"webhook-url": f"{mock_url}/_mock/webhooks/{key}"})
    counts, unnamed = webhook_counts(mock_url, key, expected=1, timeout=10, client=client)
    assert counts == {hashlib.sha256(body).hexdigest(): 1} and unnamed == 0
