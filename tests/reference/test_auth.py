"""--api-key: the provider's bearer inference keys, emulated."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from conformance.runs.launcher import ManagedServer

from .harness import Journal, header_values, poll_status, start_gateway

KEY = "test-key-0123456789"


@pytest.fixture(scope="module")
def keyed(mock_url: str) -> Iterator[ManagedServer]:
    server = start_gateway(f"mock={mock_url}", args=("--api-key", KEY))
    yield server
    server.stop()


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {KEY}", KEY, f"Bearer {KEY}x", "Bearer", ""])
@pytest.mark.parametrize(("method", "path"), [("POST", "/mock/x"), ("GET", "/status/mock"), ("GET", "/result/mock")])
def test_requests_without_the_key_get_401(client: httpx.Client, keyed: ManagedServer, journal: Journal,
                                          correlation: str, authorization: str | None, method: str, path: str) -> None:
    headers = {"X-Mock-Correlation": correlation, "X-Inference-Id": "x", "Prefer": "respond-async"}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = client.request(method, keyed.url + path, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["header"] == "Authorization"
    assert journal.entries(correlation) == []


def test_the_key_opens_every_route_and_stays_with_the_gateway(client: httpx.Client, keyed: ManagedServer,
                                                              journal: Journal, correlation: str) -> None:
    auth = {"Authorization": f"bearer  {KEY}", "X-Mock-Correlation": correlation}  # scheme is case-insensitive
    assert client.post(f"{keyed.url}/mock/x", headers=auth).status_code == 200
    accepted = client.post(f"{keyed.url}/mock/x", headers={**auth, "Prefer": "respond-async"})
    assert accepted.status_code == 202
    with httpx.Client(headers=auth, timeout=10) as polling:
        poll_status(polling, f"{keyed.url}/status/mock", accepted.json()["Id"])
    result = client.get(f"{keyed.url}/result/mock", headers={**auth, "X-Inference-Id": accepted.json()["Id"]})
    assert result.status_code == 200
    for entry in journal.wait(correlation, 2):
        assert header_values(entry, "authorization") == []  # the gateway's credential is not the container's


def test_health_needs_no_key(client: httpx.Client, keyed: ManagedServer) -> None:
    assert client.get(f"{keyed.url}/health").status_code == 200
