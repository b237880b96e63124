"""The gateway's own 502/504 answers and status `Error` texts name the
container by scheme://host:port/path only: a deployment URL's credentials
never reach a client (issue #14)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import pytest

from conformance.runs.launcher import ManagedServer, free_port

from .harness import Journal, poll_status, submit_async

SECRET = "s3cret-pw"


def assert_no_secret(text: str) -> None:
    assert SECRET not in text and "agent:" not in text and "@" not in text, text


@pytest.fixture
def gateway(mock_url: str, gateway_factory: Callable[..., ManagedServer]) -> ManagedServer:
    """`dead` on a port nothing listens on, `hung` on the mock; both URLs carry credentials."""
    mock = urlsplit(mock_url)
    return gateway_factory(f"dead=http://agent:{SECRET}@127.0.0.1:{free_port()}/base",
                           f"hung=http://agent:{SECRET}@{mock.netloc}",
                           args=("--container-timeout", "1", "--connect-retries", "0"))


@pytest.mark.parametrize("prefer", [None, "respond-async-container"])
def test_relayed_502_and_504_bodies_carry_no_credentials(client: httpx.Client, gateway: ManagedServer,
                                                         correlation: str, prefer: str | None) -> None:
    headers = {"X-Mock-Correlation": correlation, **({"Prefer": prefer} if prefer else {})}
    refused = client.post(f"{gateway.url}/dead/x", headers=headers)
    assert refused.status_code == 502, refused.text
    assert_no_secret(refused.text)
    port = refused.json()["error"].split("127.0.0.1:")[1].split("/")[0]
    assert f"(http://127.0.0.1:{port}/base)" in refused.json()["error"]  # still says which container
    hung = client.post(f"{gateway.url}/hung/x", headers={**headers, "X-Mock-Fault": "hang"})
    assert hung.status_code == 504, hung.text
    assert_no_secret(hung.text)


@pytest.mark.parametrize(("deployment", "status", "fault"), [("dead", 502, None), ("hung", 504, "hang")])
def test_stored_failures_and_status_errors_carry_no_credentials(
        client: httpx.Client, gateway: ManagedServer, journal: Journal, correlation: str,
        deployment: str, status: int, fault: str | None) -> None:
    extra = {"X-Mock-Fault": fault} if fault else {}
    accepted = submit_async(client, f"{gateway.url}/{deployment}/x", correlation, headers=extra).json()
    final = poll_status(client, gateway.url + accepted["StatusPath"], accepted["Id"])[-1]
    assert isinstance(final["Error"], str) and final["Error"]
    assert_no_secret(final["Error"])
    result = client.get(gateway.url + accepted["ResultPath"], headers={"X-Inference-Id": accepted["Id"]})
    assert result.status_code == status
    assert_no_secret(result.text)
    if fault:  # the hanging call did reach the container, with no credentials in its Host either
        (entry,) = journal.wait(correlation)
        assert_no_secret(repr(entry["headers"]))
