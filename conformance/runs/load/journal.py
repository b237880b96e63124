"""The instrument's side of the count: the mock containers' journals and webhook sinks.

Every read goes through the mock's own client (`mock_container.client`), so
a mock reached through the gateway (a hosted deployment: `{gateway}/_mock/...`
with the run's headers) is read exactly like one reached at its own URL.

`JournalTail` reads every mock's journal forward (`after=`) for this run's
correlation and keeps only counts by body hash, so memory stays bounded by
the number of submissions however long the run. It reads during the run as
well as at the end, so a mock's bounded journal ring does not evict this
run's entries before they are counted; if it did anyway, the mock's own
`evicted_since` says so (the counts are then incomplete and the verdicts
that depend on them are inconclusive, never passed).

Several mocks (one deployment spread over replicas given by their own URLs,
or several deployments) are combined by adding their counts per body hash: a
body that reached two mocks once each was delivered twice. Behind one URL,
though, the instance must stay the same: replicas behind a gateway answer
reads in turn, each from its own journal, and no count can be built on that
(`replicas` says so, and the run is not judged).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from conformance.checks.instrument import replica_message
from conformance.runs.load.answers import echoed_sha
from mock_container.client import Delivery, JournalEntry, MockClient, MockError, Page, TaskAnswer

__all__ = ["JournalTail", "JournalError", "MockReader", "webhook_counts", "fetch_task", "BEYOND"]

#: Largest `count` asked of a long-poll, and entries read per request (the mock caps
#: both at its journal size; the mock's default is 10 000).
WAIT_COUNT_MAX = 1000
PAGE = 500
#: `after` beyond any sequence number: a page with no records, only the position
BEYOND = 2**62


class JournalError(RuntimeError):
    """A mock container's control API did not answer as documented."""


@dataclass
class MockReader:
    """One mock as the load reads it: its client, where it is reached (for messages), its long-poll cap."""

    client: MockClient
    label: str
    through_gateway: bool = False
    #: longest one wait request (s); None: as long as the wait needs
    long_poll: float | None = None

    def call(self, what: str, operation, *args, **kwargs):  # type: ignore[no-untyped-def]
        """Run one client operation; JournalError (with the mock's message) when it fails."""
        try:
            return getattr(self.client, operation)(*args, **kwargs)
        except MockError as exc:
            raise JournalError(f"{what}: {exc}") from None

    def chunk(self, remaining: float) -> float:
        return remaining if self.long_poll is None else min(remaining, self.long_poll)


@dataclass
class _MockPosition:
    mock: MockReader
    instance: str = ""
    after: int = 0  # last seq of this run's entries already counted
    #: every entry of this run up to this seq (all correlations share the numbering) is counted
    covered: int = 0
    entries: int = 0
    page: int = PAGE
    per_second: Counter = field(default_factory=Counter)  # int(unix time) -> entries


class JournalTail:
    def __init__(self, mocks: Sequence[MockReader], correlation: str) -> None:
        self.correlation = correlation
        self.mocks = [_MockPosition(mock) for mock in mocks]
        self.counts: Counter[str] = Counter()  # body sha256 -> entries
        self.rejected: Counter[str] = Counter()  # behaviour errors the mock answered 400 for
        self.gaps: list[str] = []
        #: why the counts cannot be trusted at all (several mock instances behind one URL), or None
        self.replicas: str | None = None

    @property
    def total(self) -> int:
        return sum(mock.entries for mock in self.mocks)

    @property
    def readers(self) -> list[MockReader]:
        return [position.mock for position in self.mocks]

    def start(self) -> None:
        """Before the load: everything already in the journals is someone else's."""
        for position in self.mocks:
            mock = position.mock
            info = mock.call(f"{mock.label}/_mock/info", "info")
            size = info.settings.get("journal_size")
            # a mock refuses a `limit` above its ring's size
            position.page = min(PAGE, size) if isinstance(size, int) and size > 0 else PAGE
            page = mock.call(f"{mock.label}/_mock/journal", "journal", after=BEYOND, limit=1)
            position.instance = info.instance
            self._same_instance(position, page)
            position.covered = position.after = page.last_seq

    def _same_instance(self, position: _MockPosition, page: Page) -> bool:
        """False (and `replicas` set) when another instance answered than the one met at the start."""
        if page.instance == position.instance:
            return True
        if self.replicas is None:
            self.replicas = replica_message(2, position.mock.through_gateway, position.mock.label)
        return False

    def poll(self) -> int:
        """Count every new entry of this run on every mock; returns how many were new."""
        new = 0
        for position in self.mocks:
            if self.replicas is not None:
                break  # nothing read now could be counted
            new += self._poll_one(position)
        return new

    def _poll_one(self, position: _MockPosition) -> int:
        mock = position.mock
        new = 0
        pages = mock.client.journal_pages(self.correlation, after=position.after, limit=position.page,
                                          since=position.covered)
        last: Page | None = None
        try:
            # small pages: a mock serialising a huge page stalls its inference side meanwhile
            for page in pages:
                if not self._same_instance(position, page):
                    return new
                for entry in page.records:
                    self._fold(position, entry)
                new += len(page.records)
                last = page
        except MockError as exc:
            raise JournalError(f"{mock.label}/_mock/journal: {exc}") from None
        assert last is not None
        if last.evicted_since:
            # entries of every correlation share one numbering: some written after `covered` were
            # evicted before this read, and some may have been this run's
            self.gaps.append(
                f"{mock.label}: {last.evicted_since} journal entr{'y' if last.evicted_since == 1 else 'ies'} "
                f"written after seq {position.covered} were evicted before they were counted (raise the mock's "
                "--journal-size, or run more mocks)")
        position.covered = max(position.covered, last.last_seq)
        return new

    def _fold(self, position: _MockPosition, entry: JournalEntry) -> None:
        position.after = max(position.after, entry.seq)
        position.entries += 1
        position.per_second[int(entry.time)] += 1
        if entry.error:
            field_name = entry.error.get("field", "?") if isinstance(entry.error, dict) else "?"
            self.rejected[f"invalid behaviour field {field_name}"] += 1
        self.counts[entry.body_sha256] += 1

    def wait_more(self, count: int, timeout: float) -> None:
        """Block until `count` more entries of this run exist on one mock or `timeout` passes
        (the mock's long-poll: woken by the arrival, not by polling)."""
        if timeout <= 0 or count <= 0:
            return
        per = timeout / len(self.mocks)  # several mocks: no single long-poll covers them all; each in turn
        for position in self.mocks:
            self._wait_one(position, count, per)

    def _wait_one(self, position: _MockPosition, count: int, timeout: float) -> None:
        mock = position.mock
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            chunk = mock.chunk(remaining)
            page = mock.call(f"{mock.label}/_mock/journal/wait", "wait_journal", self.correlation,
                             min(count, WAIT_COUNT_MAX), chunk, after=position.after, limit=1)
            if not page.timed_out or chunk >= remaining:
                return

    def peak_rate(self) -> dict[str, int]:
        """Per mock: the most entries of this run journaled in one second."""
        return {position.mock.label: max(position.per_second.values(), default=0) for position in self.mocks}


def webhook_counts(mocks: Sequence[MockReader], key: str, expected: int, timeout: float) -> tuple[Counter, int]:
    """Deliveries under `key` at every mock's own webhook sink, counted by the submission hash
    their echo body names; waits (long-poll) until `expected` arrived in all or `timeout`.
    Returns (counts by submission sha, deliveries whose body named none).

    Each mock delivers to the sink on its own loopback address: mocks on one
    port (replicas on separate hosts) each to their own sink, mocks on one
    machine on separate ports to the first one's; so every sink is read.
    """
    counts: Counter[str] = Counter()
    unnamed = got = 0
    after = [0] * len(mocks)
    deadline = time.monotonic() + max(timeout, 0)

    def read(index: int, page: Page[Delivery]) -> None:
        nonlocal unnamed, got
        for delivery in page.records:
            after[index] = max(after[index], delivery.seq)
            sha = echoed_sha(delivery.body)
            if sha is None:
                unnamed += 1
            else:
                counts[sha] += 1
        got += len(page.records)

    turn = 0
    while expected - got > 0 and deadline - time.monotonic() > 0:
        index = turn % len(mocks)
        turn += 1
        mock = mocks[index]
        remaining = deadline - time.monotonic()
        # with several sinks, a short wait on each in turn: the deliveries may be anywhere
        chunk = mock.chunk(remaining if len(mocks) == 1 else min(remaining, 1.0))
        read(index, mock.call(f"{mock.label}/_mock/webhooks/wait", "wait_webhooks", key,
                              min(expected - got, WAIT_COUNT_MAX), chunk, after=after[index]))
    for index, mock in enumerate(mocks):  # a plain read of every sink: everything that is there is counted
        for page in _pages(mock, key, after[index]):
            read(index, page)
    return counts, unnamed


def _pages(mock: MockReader, key: str, after: int):  # type: ignore[no-untyped-def]
    try:
        yield from mock.client.webhook_pages(key, after=after)
    except MockError as exc:
        raise JournalError(f"{mock.label}/_mock/webhooks: {exc}") from None


def fetch_task(mocks: Sequence[MockReader], task_id: str) -> TaskAnswer | None:
    """`GET /tasks/{id}` on the mock that knows the task; None when none does."""
    for mock in mocks:
        answer = mock.call(f"{mock.label}/tasks/{task_id}", "task", task_id)
        if not answer.unknown:
            return answer
    return None
