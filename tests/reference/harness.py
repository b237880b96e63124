"""What the reference gateway's integration tests share: starting gateways,
reading the mock container's journal, and waiting for a status, all with deadlines."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from typing import Any

import httpx

from conformance.http import raw
from mock_container.client import MockClient

from conformance.runs.launcher import ManagedServer, python_command

TIMEOUT = httpx.Timeout(10.0)
NAMES = ["Initialized", "Queue", "Inference", "Completed"]


def start_gateway(*deployments: str, args: tuple[str, ...] = (), env: dict[str, str] | None = None,
                  name: str = "gateway") -> ManagedServer:
    """A reference gateway child process with `deployments` (NAME=URL); the caller stops it."""
    argv = python_command("conformance", "gateway", "--port", "{port}")
    for deployment in deployments:
        argv += ["--deployment", deployment]
    return ManagedServer([*argv, *args], name=name, env=env).start()


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class Journal:
    """The mock container's record of what it received, per correlation (as the mock's JSON)."""

    def __init__(self, mock_url: str) -> None:
        self.http = httpx.Client(timeout=httpx.Timeout(30.0))
        self.mock = MockClient(self.http, mock_url)

    def wait(self, correlation: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """At least `count` entries, or fail after `timeout` seconds."""
        page = self.mock.wait_journal(correlation, count, timeout)
        assert not page.timed_out, f"mock got {len(page.records)} of {count} requests for {correlation!r}"
        return [entry.raw for entry in page.records]

    def wait_none_beyond(self, correlation: str, count: int, timeout: float = 1.0) -> list[dict[str, Any]]:
        """Exactly `count` entries: waits `timeout` for a further one and fails if it comes."""
        page = self.mock.wait_journal(correlation, count + 1, timeout)
        assert page.timed_out, f"mock got {len(page.records)} requests for {correlation!r}, expected {count}"
        return [entry.raw for entry in page.records]

    def entries(self, correlation: str) -> list[dict[str, Any]]:
        return [entry.raw for entry in self.mock.journal_all(correlation).records]

    def webhooks(self, key: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        page = self.mock.wait_webhooks(key, count, timeout)
        assert not page.timed_out, f"webhook sink {key!r} got {len(page.records)} of {count}"
        return [delivery.raw for delivery in page.records]

    def close(self) -> None:
        self.http.close()


def header_values(entry: dict[str, Any], name: str) -> list[str]:
    return [value for key, value in entry["headers"] if key == name.lower()]


def entry_body(entry: dict[str, Any]) -> bytes:
    assert not entry["body_truncated"]
    return base64.b64decode(entry["body_base64"])


def poll_status(
    client: httpx.Client,
    status_url: str,
    inference_id: str,
    until: Callable[[dict[str, Any]], bool] = lambda doc: doc["Status"] in ("Completed", 3),
    timeout: float = 10.0,
) -> list[dict[str, Any]]:
    """Every status document seen until `until` holds; fails after `timeout` seconds."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(status_url, headers={"X-Inference-Id": inference_id})
        assert response.status_code == 200, response.text
        seen.append(response.json())
        if until(seen[-1]):
            return seen
        time.sleep(0.02)  # bounded polling of the gateway's state: there is no event to wait on
    raise AssertionError(f"status of {inference_id} after {timeout} s: {seen[-1:]}")


def submit_async(client: httpx.Client, url: str, correlation: str, **kwargs: Any) -> httpx.Response:
    headers = {"Prefer": "respond-async", "X-Mock-Correlation": correlation, **kwargs.pop("headers", {})}
    return client.post(url, headers=headers, **kwargs)


def raw_request(url: str, method: str, target: str, headers: list[tuple[str, str]], body: bytes = b"",
                timeout: float = 10.0) -> httpx.Response:
    """Send header lines exactly as given (e.g. with whitespace httpx would refuse), read the answer."""
    endpoint = raw.Endpoint.of(url)
    wire, connection = raw.wire_request(method, target, [("Host", endpoint.netloc), ("Connection", "close")],
                                        [(name, value.encode("latin-1")) for name, value in headers], body)
    answer = raw.exchange_sync(endpoint, wire, connection, timeout)
    return httpx.Response(answer.status, headers=answer.headers, content=answer.body)
