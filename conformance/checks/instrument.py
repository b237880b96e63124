"""The suite's own instruments as checks reach them: the mock container's control API, a webhook sink.

Their exchanges are recorded like any other (target `mock` or `sink`), and
the entries a control answer lists are kept on its record, so a report's
timeline shows the container side. A request to an instrument that fails
raises `InstrumentError`: the suite could not observe, which is never the
target's fault and never a pass.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from typing import Any
from urllib.parse import quote

import httpx

from conformance.http.recording import PURPOSE, describe_error
from conformance.http.records import ExchangeRecord, MockEntryRecord
from conformance.judge.verdicts import Blocked
from mock_container.client import AsyncMockClient, Delivery, JournalEntry, MockError, Page

__all__ = ["InstrumentError", "JournalGap", "JournalEntry", "MockControl", "SinkClient", "instrument_get",
           "annotate_mock_entries"]


class InstrumentError(RuntimeError):
    """The suite could not use one of its instruments (the mock container's control API, a webhook sink)."""


class JournalGap(Blocked):
    """The mock's journal no longer holds every entry since the run began: what needed them is not judged."""


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
    """The mock container's control API as checks use it: the mock's own client, answers judged for gaps.

    `journal_since` and `sink_since` are where the journal and the webhook
    sink stood when the run began (read by the pre-flight): an answer saying
    that records after that were evicted (a full ring, a reset) means an
    arrival or a duplicate may have gone unseen, so the check that asked is
    not judged (`JournalGap`), never passed. Unknown positions (None) judge
    no gaps.
    """

    def __init__(self, client: AsyncMockClient, *, journal_since: int | None = None,
                 sink_since: int | None = None) -> None:
        self.client = client
        self.journal_since = journal_since
        self.sink_since = sink_since

    def webhook_url(self, key: str) -> str:
        """Where the mock's webhook sink records deliveries under `key`."""
        return self.client.sink_url(key)

    async def _page(self, call: Awaitable[Page], since: int | None) -> Page:
        try:
            page = await call
        except MockError as exc:
            raise InstrumentError(str(exc)) from None
        if since is not None and page.partial:
            raise JournalGap(
                f"not judged: the mock container evicted {page.evicted_since} journal entr"
                f"{'y' if page.evicted_since == 1 else 'ies'} written since the run began (journal full, or reset "
                "during the run), so a request or a duplicate may have gone unseen; give the mock a larger "
                "--journal-size and do not reset it during a run")
        return page

    async def wait_journal(self, correlation: str, count: int, timeout: float) -> list[JournalEntry]:
        """Entries with this correlation once there are `count` of them, or all there are after `timeout` s."""
        since = self.journal_since
        page = await self._page(self.client.wait_journal(correlation, count, timeout, since=since), since)
        return list(page.records)

    async def journal(self, correlation: str) -> list[JournalEntry]:
        page = await self._page(self.client.journal_all(correlation, since=self.journal_since), self.journal_since)
        return list(page.records)

    async def wait_webhooks(self, key: str, count: int, timeout: float) -> list[Delivery]:
        since = self.sink_since
        page = await self._page(self.client.wait_webhooks(key, count, timeout, since=since), since)
        return list(page.records)


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
