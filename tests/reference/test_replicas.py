"""A deployment with several replicas (`NAME=URL1,URL2`): every request goes
to the next replica in turn, whatever its mode (issue #13: a hosted
deployment may scale to several replicas, each with its own journal)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from conformance.runs.launcher import ManagedServer, free_port, python_command
from conformance.reference.config import ConfigError, parse_deployment

from .harness import Journal, start_gateway

MODES = [None, "respond-async", "respond-async-proxy", "respond-async-container"]


@pytest.fixture(scope="module")
def second_mock() -> Iterator[ManagedServer]:
    server = ManagedServer(python_command("mock_container", "--port", "{port}"), name="mock-container-2").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def second_journal(second_mock: ManagedServer) -> Iterator[Journal]:
    reader = Journal(second_mock.url)
    yield reader
    reader.close()


@pytest.fixture(scope="module")
def pair(mock_url: str, second_mock: ManagedServer) -> Iterator[ManagedServer]:
    """Deployment `duo` on both mocks; one worker, so async jobs reach the container in submission order."""
    server = start_gateway(f"duo={mock_url},{second_mock.url}", args=("--workers", "1"))
    yield server
    server.stop()


def send(client: httpx.Client, url: str, correlation: str, prefer: str | None) -> httpx.Response:
    headers = {"X-Mock-Correlation": correlation, **({"Prefer": prefer} if prefer else {})}
    return client.post(url, content=b"{}", headers=headers)


def replica_paths(first: Journal, second: Journal, correlation: str, each: int) -> tuple[set[str], set[str]]:
    """The paths each replica received for `correlation`, once each has `each` of them."""
    return ({entry["path"] for entry in first.wait(correlation, each)},
            {entry["path"] for entry in second.wait(correlation, each)})


@pytest.mark.parametrize("prefer", MODES)
def test_each_request_goes_to_the_next_replica(client: httpx.Client, pair: ManagedServer, journal: Journal,
                                               second_journal: Journal, correlation: str,
                                               prefer: str | None) -> None:
    for index in range(4):
        assert send(client, f"{pair.url}/duo/r{index}", correlation, prefer).status_code in (200, 202)
    paths = replica_paths(journal, second_journal, correlation, 2)
    assert paths in [({"/r0", "/r2"}, {"/r1", "/r3"}), ({"/r1", "/r3"}, {"/r0", "/r2"})], paths
    assert len(journal.entries(correlation)) == len(second_journal.entries(correlation)) == 2


def test_replicas_from_the_environment(client: httpx.Client, mock_url: str, second_mock: ManagedServer,
                                       journal: Journal, second_journal: Journal, correlation: str,
                                       gateway_factory: Callable[..., ManagedServer]) -> None:
    server = gateway_factory(env={"CONFORMANCE_GATEWAY_DEPLOYMENT": f"duo={mock_url},{second_mock.url} solo={mock_url}"})
    for index in range(2):
        assert send(client, f"{server.url}/duo/r{index}", correlation, None).status_code == 200
    first, second = replica_paths(journal, second_journal, correlation, 1)
    assert first | second == {"/r0", "/r1"} and first != second


def test_a_replica_that_refuses_connections_is_passed_over(client: httpx.Client, mock_url: str, journal: Journal,
                                                           correlation: str,
                                                           gateway_factory: Callable[..., ManagedServer]) -> None:
    server = gateway_factory(f"duo=http://127.0.0.1:{free_port()},{mock_url}", args=("--connect-retries", "1"))
    for index in range(4):
        assert send(client, f"{server.url}/duo/r{index}", correlation, None).status_code == 200
    assert len(journal.wait(correlation, 4)) == 4


@pytest.mark.parametrize(("text", "urls"), [
    ("a=http://h:1", ("http://h:1",)),
    ("a=http://h:1/p/, https://h:2", ("http://h:1/p", "https://h:2")),
])
def test_replica_lists_are_parsed(text: str, urls: tuple[str, ...]) -> None:
    assert parse_deployment(text).urls == urls


@pytest.mark.parametrize(("text", "message"), [
    ("a=http://h:1,", "empty URL"),
    ("a=http://h:1,,http://h:2", "empty URL"),
    ("a=http://h:1,ftp://h:2", "http(s)://"),
    ("a=http://h:1,http://h:99999", "port"),
])
def test_bad_replica_lists_are_refused(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_deployment(text)
