"""The suite's own instruments as checks reach them: the mock container's control API, a webhook sink.

Their exchanges are recorded like any other (target `mock` or `sink`), and
the entries a control answer lists are kept on its record, so a report's
timeline shows the container side. A request to an instrument that fails
raises `InstrumentError`: the suite could not observe, which is never the
target's fault and never a pass.

The mock may be reached at its own URL or through the gateway under test
(a hosted gateway gives no other path to its container): `MockControl` is
the one way checks reach it either way, so no check can bypass the mode.
Through a gateway, webhook URLs point at the mock's own loopback sink, long
waits are cut into short polls the gateway's synchronous path lets through,
and an answer from another mock instance (a replica behind the deployment)
stops the check as not judged: one journal of two is no evidence.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from conformance.http.recording import PURPOSE, describe_error
from conformance.http.records import ExchangeRecord, MockEntryRecord
from conformance.judge.verdicts import Blocked
from mock_container.client import AsyncMockClient, Delivery, JournalEntry, MockError, Page, sink_url

__all__ = ["InstrumentError", "JournalGap", "JournalEntry", "MockControl", "SinkClient", "instrument_get",
           "annotate_mock_entries", "InstanceWatch", "OtherInstance", "replica_message"]


class InstrumentError(RuntimeError):
    """The suite could not use one of its instruments (the mock container's control API, a webhook sink)."""


class JournalGap(Blocked):
    """The mock's journal no longer holds every entry since the run began: what needed them is not judged."""


class OtherInstance(Blocked):
    """A control answer came from another mock instance than the run's: what needed it is not judged."""


def replica_message(count: int, through_gateway: bool, where: str) -> str:
    """Why a run with several mock instances is not judged, and what to do."""
    if through_gateway:
        return (f"{count} replicas of the mock answer behind this deployment ({where}); scale it to exactly one "
                "replica for a conformance run: each replica keeps its own journal, and a verdict built on one of "
                "them would miss what reached the others")
    return (f"{count} instances of the mock container answered at {where} (replicas behind one address, or the "
            "mock restarted during the run); point --container-url at exactly one mock container that stays up "
            "for the run")


@dataclass
class InstanceWatch:
    """Which mock instances answered the run's control requests (shared by every check of a run).

    `expected` is the instance the pre-flight met (None: the first answer's).
    """

    expected: str | None = None
    through_gateway: bool = False
    where: str = ""
    seen: set[str] = field(default_factory=set)

    def watch(self, expected: str | None, through_gateway: bool, where: str) -> None:
        """What the run knows before its first check (every check's context says it again: the first wins)."""
        if self.expected is None:
            self.expected = expected
        self.through_gateway, self.where = through_gateway, where

    def check(self, instance: str) -> None:
        """Note who answered; OtherInstance when it is not the run's mock."""
        if self.expected is None:
            self.expected = instance
        self.seen.add(instance)
        if instance != self.expected:
            raise OtherInstance(f"not judged: {self.message()}")

    @property
    def instances(self) -> list[str]:
        """Every instance met, the run's own first."""
        first = [self.expected] if self.expected else []
        return first + sorted(self.seen - set(first))

    @property
    def several(self) -> bool:
        return len(self.instances) > 1

    def message(self) -> str:
        return replica_message(len(self.instances), self.through_gateway, self.where)


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
    no gaps. `sink` (the mock's own loopback sink, from `GET /_mock/info`)
    is where webhook URLs point when set; `long_poll` caps one wait request,
    a longer wait being several; `instances` is the run's watch over which
    mock answered.
    """

    def __init__(self, client: AsyncMockClient, *, journal_since: int | None = None,
                 sink_since: int | None = None, sink: str | None = None, long_poll: float | None = None,
                 instances: InstanceWatch | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.journal_since = journal_since
        self.sink_since = sink_since
        self.sink = sink
        self.long_poll = long_poll
        self.instances = instances if instances is not None else InstanceWatch()
        self.clock = clock

    def webhook_url(self, key: str) -> str:
        """Where the mock's webhook sink records deliveries under `key`, as the mock itself reaches it."""
        return sink_url(self.sink, key) if self.sink else self.client.sink_url(key)

    async def _page(self, call: Awaitable[Page], since: int | None) -> Page:
        try:
            page = await call
        except MockError as exc:
            raise InstrumentError(str(exc)) from None
        self.instances.check(page.instance)
        if since is not None and page.partial:
            raise JournalGap(
                f"not judged: the mock container evicted {page.evicted_since} journal entr"
                f"{'y' if page.evicted_since == 1 else 'ies'} written since the run began (journal full, or reset "
                "during the run), so a request or a duplicate may have gone unseen; give the mock a larger "
                "--journal-size and do not reset it during a run")
        return page

    async def _wait(self, wait: Callable[[float], Awaitable[Page]], count: int, timeout: float,
                    since: int | None) -> Page:
        """One long-poll, or (with `long_poll`) as many short ones as `timeout` needs, until `count` records."""
        deadline = self.clock() + max(timeout, 0.0)
        while True:
            remaining = max(deadline - self.clock(), 0.0)
            chunk = remaining if self.long_poll is None else min(remaining, self.long_poll)
            page = await self._page(wait(chunk), since)
            if len(page.records) >= count or not page.timed_out or chunk >= remaining:
                return page

    async def wait_journal(self, correlation: str, count: int, timeout: float) -> list[JournalEntry]:
        """Entries with this correlation once there are `count` of them, or all there are after `timeout` s."""
        since = self.journal_since
        page = await self._wait(lambda chunk: self.client.wait_journal(correlation, count, chunk, since=since),
                                count, timeout, since)
        return list(page.records)

    async def journal(self, correlation: str) -> list[JournalEntry]:
        """Every entry with this correlation, page by page (each page judged on its own: its instance, its gaps)."""
        since = self.journal_since
        records: list[JournalEntry] = []
        after = 0
        while True:
            page = await self._page(self.client.journal(correlation, after=after, since=since), since)
            records.extend(page.records)
            if page.next_after is None:
                return records
            after = page.next_after

    async def wait_webhooks(self, key: str, count: int, timeout: float) -> list[Delivery]:
        since = self.sink_since
        page = await self._wait(lambda chunk: self.client.wait_webhooks(key, count, chunk, since=since),
                                count, timeout, since)
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
