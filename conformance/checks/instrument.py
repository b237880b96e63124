"""The suite's own instruments as checks reach them: the mock container's control API, a webhook sink.

Their exchanges are recorded like any other (target `mock` or `sink`), and
the entries a control answer lists are kept on its record, so a report's
timeline shows the container side. A request to an instrument that fails
raises `InstrumentError`: the suite could not observe, which is never the
target's fault and never a pass.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from conformance.http.recording import PURPOSE, describe_error
from conformance.http.records import ExchangeRecord, MockEntryRecord

__all__ = ["InstrumentError", "JournalEntry", "MockControl", "SinkClient", "instrument_get", "annotate_mock_entries"]


class InstrumentError(RuntimeError):
    """The suite could not talk to one of its instruments (the mock container's control API, the webhook sink)."""


@dataclass
class JournalEntry:
    """One request as the mock container received it (docs/mock-container.md)."""

    raw: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.raw[name]
        except KeyError:
            raise AttributeError(name) from None

    def header_values(self, name: str) -> list[str]:
        """Every value of header `name`, one per header line, as received."""
        name = name.lower()
        return [value for key, value in self.raw.get("headers") or [] if key.lower() == name]

    @property
    def body(self) -> bytes:
        """The body as the journal kept it (possibly truncated: see `body_truncated`)."""
        return base64.b64decode(self.raw.get("body_base64") or "")

    @property
    def content_type(self) -> str | None:
        values = self.header_values("content-type")
        return values[0] if values else None

    def describe(self) -> str:
        return (
            f"{self.raw.get('method')} {self.raw.get('path')}?{self.raw.get('query') or ''} "
            f"(body {self.raw.get('body_size')} bytes, Content-Type {self.content_type!r}, "
            f"Prefer {self.header_values('prefer')!r})"
        )


def mock_entries(data: Any) -> list[MockEntryRecord] | None:
    """The container side of a report's timelines: when each entry a control answer listed arrived.

    Kept apart from the recorded body, which is cut at TEXT_KEEP characters.
    """
    if not isinstance(data, dict):
        return None
    found = []
    for kind, items in (("journal", data.get("entries")), ("webhook", data.get("deliveries"))):
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("time"), (int, float)):
                continue
            status, delay = item.get("status"), item.get("delay")
            found.append(MockEntryRecord(
                kind=kind, seq=int(item.get("seq") or 0), time=float(item["time"]),
                key=item.get("correlation") if kind == "journal" else item.get("key"),
                method=item.get("method"), path=item.get("path"),
                status=status if isinstance(status, int) else None,
                delay=float(delay) if isinstance(delay, (int, float)) else None,
            ))
    return found or None


def annotate_mock_entries(record: ExchangeRecord, body: bytes) -> None:
    """The recording transport's hook for mock answers: the entries they list, on the exchange's record."""
    try:
        record.mock_entries = mock_entries(json.loads(body))
    except ValueError:
        pass


class MockControl:
    """The mock container's control API, recorded into one check's transcript."""

    def __init__(self, client: httpx.AsyncClient, base: str) -> None:
        self._client = client
        self.base = base.rstrip("/")

    def webhook_url(self, key: str) -> str:
        """Where the mock's webhook sink records deliveries under `key`."""
        return f"{self.base}/_mock/webhooks/{quote(key, safe='')}"

    async def _get(self, path: str, params: dict[str, Any], wait: float, purpose: str) -> dict[str, Any]:
        response = await instrument_get(self._client, "the mock container's control API", self.base + path, params,
                                        wait, purpose)
        return response.json()

    async def wait_journal(self, correlation: str, count: int, timeout: float) -> list[JournalEntry]:
        """Entries with this correlation once there are `count` of them, or all there are after `timeout` s."""
        data = await self._get(
            "/_mock/journal/wait",
            {"correlation": correlation, "count": count, "timeout": round(max(timeout, 0.0), 3)},
            timeout,
            f"wait for {count} journal entr{'y' if count == 1 else 'ies'} of {correlation}",
        )
        return [JournalEntry(entry) for entry in data.get("entries", [])]

    async def journal(self, correlation: str) -> list[JournalEntry]:
        data = await self._get("/_mock/journal", {"correlation": correlation}, 0.0, f"journal of {correlation}")
        return [JournalEntry(entry) for entry in data.get("entries", [])]

    async def wait_webhooks(self, key: str, count: int, timeout: float) -> list[dict[str, Any]]:
        data = await self._get(
            "/_mock/webhooks/wait",
            {"key": key, "count": count, "timeout": round(max(timeout, 0.0), 3)},
            timeout,
            f"wait for {count} webhook deliver{'y' if count == 1 else 'ies'} under {key}",
        )
        return list(data.get("deliveries", []))


class SinkClient:
    """A container run's webhook sink: the URL the container is told, the place the suite reads deliveries."""

    def __init__(self, client: httpx.AsyncClient, *, told: str, local: str) -> None:
        self._client = client
        self.told = told.rstrip("/")
        self.local = local.rstrip("/")

    def url(self, key: str) -> str:
        """The webhook URL to give the container: deliveries to it are recorded under `key`."""
        return f"{self.told}/hooks/{quote(key, safe='')}"

    async def wait(self, key: str, count: int, timeout: float) -> list[dict[str, Any]]:
        """Deliveries under `key` once there are `count`, or all there are after `timeout` s."""
        response = await instrument_get(
            self._client, "the suite's webhook sink", f"{self.local}/wait/{quote(key, safe='')}",
            {"count": count, "timeout": round(max(timeout, 0.0), 3)}, timeout,
            f"wait for {count} webhook deliver{'y' if count == 1 else 'ies'} under {key}")
        return list(response.json().get("deliveries", []))


async def instrument_get(client: httpx.AsyncClient, what: str, url: str, params: dict[str, Any], wait: float,
                         purpose: str) -> httpx.Response:
    """A recorded GET to an instrument; InstrumentError unless it answers 200."""
    request = client.build_request("GET", url, params=params, timeout=wait + 10.0, extensions={PURPOSE: purpose})
    try:
        response = await client.send(request)
    except httpx.HTTPError as exc:
        raise InstrumentError(f"{what} did not answer {request.url}: {describe_error(exc)}") from None
    if response.status_code != 200:
        raise InstrumentError(f"{what} answered {response.status_code} to {request.url}: {response.text[:300]}")
    return response
