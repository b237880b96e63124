"""Bounded records of what arrived, indexed by a key, with long-poll waits.

The same `Ring` keeps the journal of inference requests (keyed by
correlation) and the webhook sink's deliveries (keyed by sink key). Appends
and evictions are O(1); a waiter is woken by the append that completes its
count (futures, no polling).

Records leave only from the old end (the ring's limits, or a clear that
drops them all), so the records held are always the sequence numbers
`first_seq..last_seq` without a gap: how many a reader missed since any
sequence number is one subtraction.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import hashlib
import itertools
from collections import deque
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Ring", "Message", "Arrival", "Delivery", "Page", "ANY_KEY"]

#: Query every key (a query without `correlation` / `key`).
ANY_KEY: Hashable = object()


def _decode_headers(headers: list[tuple[bytes, bytes]]) -> list[list[str]]:
    return [[name.decode("latin-1"), value.decode("latin-1")] for name, value in headers]


def _seq(record: "Message") -> int:
    return record.seq


class Message:
    """What every record keeps of a message: kept bytes are a prefix of the body.

    `cost` is what it counts against the byte budget: every byte it holds of
    the message (kept body, headers, path, query), not the body alone, since
    a request with 60 KiB of headers and no body holds 60 KiB all the same.
    """

    __slots__ = ("seq", "time", "key", "method", "path", "query", "headers",
                 "body_size", "body_sha256", "kept", "body_truncated", "cost", "instance")

    def __init__(self, time: float, key: str | None, method: str, path: str, query: str,
                 headers: list[tuple[bytes, bytes]], body: bytes, keep: int) -> None:
        self.seq = 0  # set by Ring.add
        self.time = time
        self.key = key
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers  # raw (name, value) byte pairs, decoded only when read
        self.body_size = len(body)
        self.body_sha256 = hashlib.sha256(body).hexdigest()
        self.body_truncated = len(body) > keep
        self.kept = body[:keep] if self.body_truncated else body
        self.cost = (len(self.kept) + len(method) + len(path) + len(query)
                     + sum(len(name) + len(value) for name, value in headers))
        self.instance = ""  # set by Ring.add: the mock that holds it

    def message_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": _decode_headers(self.headers),
            "body_size": self.body_size,
            "body_sha256": self.body_sha256,
            "body_base64": base64.b64encode(self.kept).decode("ascii"),
            "body_truncated": self.body_truncated,
        }


class Arrival(Message):
    """An inference-side request; `key` is its correlation."""

    __slots__ = ("prefer", "behaviour", "error", "status", "delay")

    def __init__(self, time: float, key: str | None, method: str, path: str, query: str,
                 headers: list[tuple[bytes, bytes]], body: bytes, keep: int, prefer: str | None) -> None:
        Message.__init__(self, time, key, method, path, query, headers, body, keep)
        self.prefer = prefer
        self.behaviour: dict[str, Any] | None = None
        self.error: dict[str, Any] | None = None
        self.status: int | None = None  # what was answered; None until then and for faults
        self.delay: float | None = None  # the delay actually applied (after any random draw)

    def echo_json(self) -> dict[str, Any]:
        """The echo document: the request as received."""
        return {"seq": self.seq, **self.message_json(), "prefer": self.prefer, "correlation": self.key,
                "instance": self.instance}

    def to_json(self) -> dict[str, Any]:
        out = {"seq": self.seq, "time": self.time, "correlation": self.key, **self.message_json(),
               "prefer": self.prefer, "status": self.status, "delay": self.delay}
        if self.error is not None:
            out["error"] = self.error
        else:
            out["behaviour"] = self.behaviour
        return out


class Delivery(Message):
    """A webhook delivery recorded by the sink; `key` is the sink key."""

    __slots__ = ("status",)

    def __init__(self, status: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.status = status  # what the sink answered

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "time": self.time, "key": self.key, **self.message_json(), "status": self.status}


@dataclass
class Page:
    """Records read oldest first, and whether more matched after the last of them."""

    records: list[Message]
    more: bool

    @property
    def next_after(self) -> int | None:
        """The `after` that reads the next page; None when this one reached the newest match."""
        return self.records[-1].seq if self.more and self.records else None


def json_size(record: Message) -> int:
    """About how many bytes the record's JSON takes: base64 grows the body by a third."""
    return record.cost + len(record.kept) // 3 + 8 * len(record.headers) + 256


class _Waiter:
    __slots__ = ("missing", "future")

    def __init__(self, missing: int, future: asyncio.Future) -> None:
        self.missing = missing
        self.future = future


class Ring:
    """A ring buffer of records bounded by count and by the bytes they hold."""

    def __init__(self, size: int, byte_budget: int, instance: str = "") -> None:
        self.size = size
        self.byte_budget = byte_budget
        self.instance = instance
        self.last_seq = 0  # never reset, so `after=` stays meaningful across clears
        self._ring: deque[Message] = deque()
        self._by_key: dict[Any, deque[Message]] = {}
        self._waiters: dict[Any, list[_Waiter]] = {}
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._ring)

    @property
    def bytes_held(self) -> int:
        return self._bytes

    @property
    def first_seq(self) -> int:
        """The oldest sequence number held; `last_seq + 1` when none is."""
        return self._ring[0].seq if self._ring else self.last_seq + 1

    @property
    def evicted(self) -> int:
        """Records no longer held, for any reason: every sequence number below `first_seq`."""
        return self.first_seq - 1

    def evicted_since(self, seq: int) -> int:
        """How many records with a sequence number above `seq` are no longer held."""
        return max(0, self.first_seq - 1 - seq)

    def add(self, record: Message) -> int:
        self.last_seq += 1
        record.seq = self.last_seq
        record.instance = self.instance
        self._ring.append(record)
        by_key = self._by_key.get(record.key)
        if by_key is None:
            self._by_key[record.key] = by_key = deque()
        by_key.append(record)
        self._bytes += record.cost
        while len(self._ring) > self.size or (self._bytes > self.byte_budget and len(self._ring) > 1):
            self._evict()
        if self._waiters:
            self._wake(record.key)
            self._wake(ANY_KEY)
        return record.seq

    def _evict(self) -> None:
        old = self._ring.popleft()
        self._bytes -= old.cost
        by_key = self._by_key[old.key]
        by_key.popleft()  # FIFO per key too: the oldest of its key
        if not by_key:
            del self._by_key[old.key]

    def _wake(self, key: Any) -> None:
        for waiter in self._waiters.get(key, ()):
            waiter.missing -= 1
            if waiter.missing <= 0 and not waiter.future.done():
                waiter.future.set_result(None)

    def _source(self, key: Any) -> Sequence[Message]:
        return self._ring if key is ANY_KEY else self._by_key.get(key, ())

    @staticmethod
    def _start(source: Sequence[Message], after: int) -> int:
        """Index of the first record with seq > `after` (sequence numbers ascend in every deque)."""
        return bisect.bisect_right(source, after, key=_seq)

    def count(self, key: Any = ANY_KEY, after: int = 0) -> int:
        """How many records of `key` with seq > `after` are held (no list is built)."""
        source = self._source(key)
        return len(source) - self._start(source, after)

    def page(self, key: Any = ANY_KEY, after: int = 0, limit: int | None = None,
             byte_limit: int | None = None) -> Page:
        """Records of `key` with seq > `after`, oldest first: at most `limit`, and no more
        than about `byte_limit` bytes of JSON (yet always one, however large)."""
        source = self._source(key)
        start = self._start(source, after)
        stop = len(source) if limit is None else min(len(source), start + limit)
        records: list[Message] = []
        size = 0
        for record in itertools.islice(source, start, stop):
            size += json_size(record)
            if byte_limit is not None and records and size > byte_limit:
                break
            records.append(record)
        return Page(records, start + len(records) < len(source))

    async def wait(self, key: Any, count: int, timeout: float, after: int = 0) -> bool:
        """Wait until `count` records of `key` with seq > `after` are held, or
        `timeout` seconds pass. Returns whether it timed out (read them with `page`)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            held = self.count(key, after)
            remaining = deadline - loop.time()
            if held >= count or remaining <= 0:
                return held < count
            waiter = _Waiter(count - held, loop.create_future())
            self._waiters.setdefault(key, []).append(waiter)
            try:
                await asyncio.wait([waiter.future], timeout=remaining)
            finally:
                waiters = self._waiters[key]
                waiters.remove(waiter)
                if not waiters:
                    del self._waiters[key]
            # loop: re-count, since a clear or an eviction may have happened meanwhile

    def clear(self) -> None:
        """Drop every record: they count in `evicted` like any record no longer held."""
        self._ring.clear()
        self._by_key.clear()
        self._bytes = 0
