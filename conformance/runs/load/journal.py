"""The instrument's side of the count: the mock containers' journals and webhook sink.

`JournalTail` reads every mock's journal forward (`after=`) for this run's
correlation and keeps only counts by body hash, so memory stays bounded by
the number of submissions however long the run. It reads during the run as
well as at the end, so a mock's bounded journal ring does not evict this
run's entries before they are counted; if it did anyway, the tail notices
the gap in sequence numbers and says so (the counts are then incomplete and
the verdicts that depend on them are inconclusive, never passed).

Several mocks (one deployment spread over replicas, or several
deployments) are combined by adding their counts per body hash: a body that
reached two mocks once each was delivered twice.
"""

from __future__ import annotations

import base64
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.runs.load.answers import echoed_sha

__all__ = ["JournalTail", "JournalError", "webhook_counts", "fetch_task"]

#: Largest `count` asked of a long-poll, and entries read per request (the mock caps
#: both at its journal size; the mock's default is 10 000).
WAIT_COUNT_MAX = 1000
PAGE = 500


class JournalError(RuntimeError):
    """A mock container's control API did not answer as documented."""


@dataclass
class _MockPosition:
    url: str
    after: int = 0  # last seq of this run's entries already counted
    #: every entry of this run up to this seq (all correlations share the numbering) is counted
    covered: int = 0
    entries: int = 0
    per_second: Counter = field(default_factory=Counter)  # int(unix time) -> entries


class JournalTail:
    def __init__(self, urls: tuple[str, ...], correlation: str, client: httpx.Client) -> None:
        self.correlation = correlation
        self.client = client
        self.mocks = [_MockPosition(url) for url in urls]
        self.counts: Counter[str] = Counter()  # body sha256 -> entries
        self.rejected: Counter[str] = Counter()  # behaviour errors the mock answered 400 for
        self.gaps: list[str] = []
        self.page = PAGE

    @property
    def total(self) -> int:
        return sum(mock.entries for mock in self.mocks)

    def _get(self, url: str, **params: Any) -> dict[str, Any]:
        try:
            response = self.client.get(url, params=params)
        except httpx.HTTPError as exc:
            raise JournalError(f"{url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise JournalError(f"{url} answered {response.status_code}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError:
            raise JournalError(f"{url} did not answer JSON") from None

    def start(self) -> None:
        """Before the load: everything already in the journals is someone else's."""
        for mock in self.mocks:
            for page in (self.page, 50, 1):  # a mock with a tiny ring refuses a bigger `limit`
                try:
                    last = self._get(f"{mock.url}/_mock/journal", limit=page, after=2**62).get("last_seq")
                    break
                except JournalError:
                    if page == 1:
                        raise
            self.page = min(self.page, page)
            mock.covered = mock.after = last if isinstance(last, int) else 0

    def poll(self) -> int:
        """Count every new entry of this run on every mock; returns how many were new."""
        new = 0
        for mock in self.mocks:
            last_seq = mock.covered
            while True:
                # small pages: a mock serialising a huge page stalls its inference side meanwhile
                page = self._get(f"{mock.url}/_mock/journal", correlation=self.correlation, after=mock.after,
                                 limit=self.page)
                entries = page.get("entries", [])
                for entry in entries:
                    self._fold(mock, entry)
                new += len(entries)
                last_seq = page.get("last_seq", last_seq)
                if len(entries) < self.page:
                    break
            self._check_gap(mock, last_seq)
        return new

    def _fold(self, mock: _MockPosition, entry: dict[str, Any]) -> None:
        mock.after = max(mock.after, int(entry["seq"]))
        mock.entries += 1
        mock.per_second[int(entry.get("time", 0))] += 1
        if entry.get("error"):
            field_name = entry["error"].get("field", "?") if isinstance(entry["error"], dict) else "?"
            self.rejected[f"invalid behaviour field {field_name}"] += 1
        self.counts[entry["body_sha256"]] += 1

    def _check_gap(self, mock: _MockPosition, read_up_to: int) -> None:
        """Entries of every correlation share one numbering without gaps. Once this run's
        entries are read, the oldest entry the ring still holds must come right after the
        position already covered: if it does not, the ring evicted entries before they
        were read, and some may have been this run's."""
        page = self._get(f"{mock.url}/_mock/journal", after=mock.covered, limit=1)
        entries = page.get("entries", [])
        if entries and int(entries[0]["seq"]) > mock.covered + 1:
            self.gaps.append(
                f"{mock.url}: journal entries {mock.covered + 1}..{int(entries[0]['seq']) - 1} were evicted "
                "before they were counted (raise the mock's --journal-size, or run more mocks)"
            )
        mock.covered = max(mock.covered, read_up_to)

    def wait_more(self, count: int, timeout: float) -> None:
        """Block until `count` more entries of this run exist on one mock or `timeout` passes
        (the mock's long-poll: woken by the arrival, not by polling)."""
        if timeout <= 0 or count <= 0:
            return
        mock = self.mocks[0] if len(self.mocks) == 1 else None
        if mock is None:  # several mocks: no single long-poll covers them all; wait on each in turn
            per = timeout / len(self.mocks)
            for each in self.mocks:
                self._wait_one(each, count, per)
            return
        self._wait_one(mock, count, timeout)

    def _wait_one(self, mock: _MockPosition, count: int, timeout: float) -> None:
        try:
            self.client.get(
                f"{mock.url}/_mock/journal/wait",
                params={"correlation": self.correlation, "count": min(count, WAIT_COUNT_MAX), "after": mock.after,
                        "timeout": round(timeout, 3)},
                timeout=timeout + 10,
            )
        except httpx.HTTPError as exc:
            raise JournalError(f"{mock.url}/_mock/journal/wait: {type(exc).__name__}: {exc}") from exc

    def peak_rate(self) -> dict[str, int]:
        """Per mock: the most entries of this run journaled in one second."""
        return {mock.url: max(mock.per_second.values(), default=0) for mock in self.mocks}


def webhook_counts(sink_url: str, key: str, expected: int, timeout: float,
                   client: httpx.Client) -> tuple[Counter, int]:
    """Deliveries at the webhook sink under `key`, counted by the submission hash
    their echo body names; waits (long-poll) until `expected` arrived or `timeout`.
    Returns (counts by submission sha, deliveries whose body named none)."""
    counts: Counter[str] = Counter()
    unnamed = after = got = 0
    deadline = time.monotonic() + max(timeout, 0)
    while True:
        remaining = deadline - time.monotonic()
        missing = expected - got
        waiting = missing > 0 and remaining > 0
        route = "/_mock/webhooks/wait" if waiting else "/_mock/webhooks"
        params: dict[str, Any] = {"key": key, "after": after}
        if waiting:
            params.update(count=min(missing, WAIT_COUNT_MAX), timeout=round(remaining, 3))
        try:
            response = client.get(f"{sink_url}{route}", params=params, timeout=max(remaining, 0) + 10)
            deliveries = response.json().get("deliveries", [])
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            raise JournalError(f"{sink_url}{route}: {type(exc).__name__}: {exc}") from exc
        for delivery in deliveries:
            after = max(after, int(delivery["seq"]))
            sha = echoed_sha(base64.b64decode(delivery.get("body_base64") or b""))
            if sha is None:
                unnamed += 1
            else:
                counts[sha] += 1
        got += len(deliveries)
        if not waiting:  # the last read was a plain one: everything that was there is counted
            return counts, unnamed


def fetch_task(urls: tuple[str, ...], task_id: str, client: httpx.Client) -> tuple[int, bytes]:
    """`GET /tasks/{id}` on the mock that knows the task: (status, body); 404 when none does."""
    status, content = 404, b""
    for url in urls:
        response = client.get(f"{url}/tasks/{task_id}")
        if response.status_code != 404:
            return response.status_code, response.content
    return status, content
