"""Helpers for the mock container's tests: a client for one mock with the
long-poll waits every test synchronises on, and small assertion helpers.

The control API is read through the mock's own client (mock_container.client);
the helpers hand tests the JSON records the mock sent (`.raw`), which the
tests assert on field by field."""

from __future__ import annotations

from typing import Any

import httpx

from conformance.http.raw import bytes_until_closed
from mock_container.client import MockClient

#: Every network wait in these tests has a timeout; this is the default one.
TIMEOUT = 10.0


class Mock:
    """A thin HTTP client for one mock container (its control API included)."""

    def __init__(self, base_url: str) -> None:
        self.url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=TIMEOUT)
        self.control = MockClient(self.http, base_url)

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str = "/infer", **kwargs: Any) -> httpx.Response:
        return self.http.request(method, path, **kwargs)

    def get(self, path: str = "/infer", **kwargs: Any) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def post(self, path: str = "/infer", **kwargs: Any) -> httpx.Response:
        return self.http.post(path, **kwargs)

    def journal(self, correlation: str, *, after: int = 0, limit: int | None = None) -> list[dict]:
        """Entries for `correlation`: one page of `limit`, or every page when no limit is given."""
        if limit is not None:
            page = self.control.journal(correlation, after=after, limit=limit)
        else:
            page = self.control.journal_all(correlation, after=after)
        return [entry.raw for entry in page.records]

    def wait_journal(self, correlation: str, count: int = 1, timeout: float = TIMEOUT) -> list[dict]:
        """Entries for `correlation` once `count` arrived; fails the test on timeout."""
        page = self.control.wait_journal(correlation, count, timeout)
        assert not page.timed_out, f"only {len(page.records)} of {count} journal entries in {timeout} s"
        return [entry.raw for entry in page.records]

    def wait_sink(self, key: str, count: int = 1, timeout: float = TIMEOUT) -> list[dict]:
        page = self.control.wait_webhooks(key, count, timeout)
        assert not page.timed_out, f"only {len(page.records)} of {count} deliveries in {timeout} s"
        return [delivery.raw for delivery in page.records]

    def sink_url(self, key: str, **params: Any) -> str:
        return self.control.sink_url(key, params.get("fail-first"), params.get("fail-status"))

    def put_scenario(self, name: str, fields: dict) -> httpx.Response:
        """The raw answer: tests assert on refusals (400) as well as on registrations."""
        return self.http.put(f"/_mock/scenarios/{name}", json=fields)

    def stats(self) -> dict:
        return self.control.stats()


def mock_headers(**fields: Any) -> dict[str, str]:
    """`X-Mock-*` headers from keyword fields (`delay_dist=` -> `X-Mock-Delay-Dist`)."""
    return {"X-Mock-" + name.replace("_", "-"): str(value) for name, value in fields.items()}


def assert_invalid(response: httpx.Response, field: str, channel: str | None = None) -> dict:
    """A 400 whose JSON names the field (and the channel, when given)."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid behaviour"
    assert body["field"] == field, body
    if channel is not None:
        assert body["channel"] == channel, body
    assert body["message"]
    return body


def raw_exchange(port: int, request: bytes, timeout: float = TIMEOUT) -> tuple[bytes, BaseException | None]:
    """Send raw bytes, read until the server closes: (bytes read, error that ended it)."""
    return bytes_until_closed("127.0.0.1", port, request, timeout)


def eventually(predicate, timeout: float = TIMEOUT, interval: float = 0.05, what: str = "condition") -> None:
    """Bounded polling for state with no event to wait on (e.g. a counter in another process)."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout} s")
        time.sleep(interval)
