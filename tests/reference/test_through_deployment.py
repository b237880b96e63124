"""The container's own routes through the synchronous path (issue #13): a
hosted suite reaches the mock's `/health` and `/_mock/...` control API only
as `{base}/{deployment}/...`, with the API key like every other request,
and its long-polls must not be cut by any gateway timeout but
`--container-timeout`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from conformance.runs.launcher import ManagedServer

from .harness import Journal, header_values, start_gateway

KEY = "through-the-deployment"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def keyed(mock_url: str) -> Iterator[ManagedServer]:
    """With --api-key, and a connect (and pool) timeout far below the long-polls below."""
    server = start_gateway(f"mock={mock_url}", args=("--api-key", KEY, "--connect-timeout", "0.5"))
    yield server
    server.stop()


def test_the_containers_health_route_through_the_deployment(client: httpx.Client, keyed: ManagedServer) -> None:
    assert client.get(f"{keyed.url}/mock/health").status_code == 401
    response = client.get(f"{keyed.url}/mock/health", headers=AUTH)
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and "deployments" not in response.json()  # the mock's, not ours


def test_the_control_api_through_the_deployment(client: httpx.Client, keyed: ManagedServer, journal: Journal,
                                               correlation: str) -> None:
    sent = client.post(f"{keyed.url}/mock/x", headers={**AUTH, "X-Mock-Correlation": correlation}, content=b"{}")
    assert sent.status_code == 200
    listed = client.get(f"{keyed.url}/mock/_mock/journal", params={"correlation": correlation}, headers=AUTH)
    assert listed.status_code == 200
    (entry,) = listed.json()["entries"]
    assert entry == journal.entries(correlation)[0]  # the same journal, read through the gateway
    assert header_values(entry, "authorization") == []  # the key is the gateway's


def test_a_long_poll_through_the_deployment_returns_when_its_entry_arrives(
        client: httpx.Client, keyed: ManagedServer, correlation: str) -> None:
    waited: dict[str, httpx.Response] = {}

    def long_poll() -> None:
        with httpx.Client(timeout=30) as http:
            waited["answer"] = http.get(f"{keyed.url}/mock/_mock/journal/wait", headers=AUTH,
                                        params={"correlation": correlation, "count": 1, "timeout": 20})

    poller = threading.Thread(target=long_poll)
    poller.start()
    deadline = time.monotonic() + 5
    while not client.get(f"{keyed.url}/health").json()["deployments"]["mock"]["relayed_in_flight"]:
        assert time.monotonic() < deadline, "the long-poll never reached the container"
        time.sleep(0.02)  # bounded polling of the gateway's load figures: there is no event to wait on
    client.post(f"{keyed.url}/mock/late", headers={**AUTH, "X-Mock-Correlation": correlation})
    poller.join(timeout=25)
    answer = waited["answer"]
    assert answer.status_code == 200 and answer.json()["timed_out"] is False
    assert [entry["path"] for entry in answer.json()["entries"]] == ["/late"]


def test_only_the_container_timeout_bounds_a_relayed_wait(client: httpx.Client, keyed: ManagedServer,
                                                          mock_url: str, correlation: str,
                                                          gateway_factory: Callable[..., ManagedServer]) -> None:
    wait = {"correlation": correlation, "count": 1, "timeout": 2}
    started = time.monotonic()
    lasted = client.get(f"{keyed.url}/mock/_mock/journal/wait", params=wait, headers=AUTH)
    assert lasted.status_code == 200 and lasted.json()["timed_out"] is True  # 2 s, four connect timeouts
    assert time.monotonic() - started >= 2
    short = gateway_factory(f"mock={mock_url}", args=("--container-timeout", "1"))
    cut = client.get(f"{short.url}/mock/_mock/journal/wait", params=wait)
    assert cut.status_code == 504 and "did not answer in time" in cut.json()["error"]
