"""The instrument's count: several mocks' journals add up per body, and a
journal ring that evicted entries before they were read is reported, never
silently counted short. Every read goes through the mock's own client."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator

import httpx
import pytest

from conformance.runs.launcher import ManagedServer
from conformance.runs.load.journal import JournalTail, MockReader, webhook_counts
from mock_container.client import MockClient

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


def readers(client: httpx.Client, *urls: str) -> list[MockReader]:
    return [MockReader(MockClient(client, url), url) for url in urls]


def post(client: httpx.Client, url: str, correlation: str, body: bytes, **query: str) -> None:
    params = {"mock-correlation": correlation, **{f"mock-{k}": v for k, v in query.items()}}
    assert client.post(f"{url}/infer", params=params, content=body).status_code == 200


def test_several_mocks_are_one_count_per_body(mock_url: str, small_mock: ManagedServer, client: httpx.Client) -> None:
    correlation = f"t-{uuid.uuid4().hex}"
    tail = JournalTail(readers(client, mock_url, small_mock.url), correlation)
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
    tail = JournalTail(readers(client, small_mock.url), correlation)
    tail.start()
    for n in range(3):
        post(client, small_mock.url, correlation, f'{{"n": {n}}}'.encode())
    tail.poll()
    assert tail.gaps == [] and sum(tail.counts.values()) == 3
    for n in range(3, 15):  # more than the ring holds, between two reads
        post(client, small_mock.url, correlation, f'{{"n": {n}}}'.encode())
    tail.poll()
    # the ring (8) holds seqs 8..15: 4..7 went before they were read, and the mock says so (evicted_since)
    assert sum(tail.counts.values()) == 3 + 8
    assert len(tail.gaps) == 1 and "4 journal entries written after seq 3 were evicted" in tail.gaps[0]
    tail.poll()
    assert len(tail.gaps) == 1  # reported once, not on every later read


def test_webhook_deliveries_are_counted_by_the_submission_they_echo(mock_url: str, client: httpx.Client) -> None:
    key = f"k-{uuid.uuid4().hex}"
    body = f'{{"n": "{key}"}}'.encode()
    post(client, mock_url, key, body, **{"webhook-url": f"{mock_url}/_mock/webhooks/{key}"})
    counts, unnamed = webhook_counts(readers(client, mock_url), key, expected=1, timeout=10)
    assert counts == {hashlib.sha256(body).hexdigest(): 1} and unnamed == 0


def test_every_mocks_own_sink_is_counted(mock_url: str, small_mock: ManagedServer, client: httpx.Client) -> None:
    """Replicas on separate hosts each deliver to their own loopback sink: the count reads them all."""
    key = f"k-{uuid.uuid4().hex}"
    bodies = {url: f'{{"n": "{key}-{i}"}}'.encode() for i, url in enumerate((mock_url, small_mock.url))}
    for url, body in bodies.items():
        post(client, url, key, body, **{"webhook-url": f"{url}/_mock/webhooks/{key}"})
    counts, unnamed = webhook_counts(readers(client, mock_url, small_mock.url), key, expected=2, timeout=10)
    assert counts == {hashlib.sha256(body).hexdigest(): 1 for body in bodies.values()} and unnamed == 0
