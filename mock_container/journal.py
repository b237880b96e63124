"""Bounded records of what arrived, indexed by a key, with long-poll waits.

The same `Recorder` keeps the journal of inference requests (keyed by
correlation) and the webhook sink's deliveries (keyed by sink key). Appends
and evictions are O(1); a waiter is woken by the append that completes its
count (futures, no polling).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections import deque
from collections.abc import Hashable
from typing import Any

__all__ = ["Recorder", "Record", "RequestRecord", "Delivery", "ANY_KEY"]

#: Query every key (a query without `correlation` / `key`).
ANY_KEY: Hashable = object()


def _decode_headers(headers: list[tuple[bytes, bytes]]) -> list[list[str]]:
    return [[name.decode("latin-1"), value.decode("latin-1")] for name, value in headers]


class Record:
    """What every record keeps of a message: kept bytes are a prefix of the body."""

    __slots__ = ("seq", "time", "key", "method", "path", "query", "headers",
                 "body_size", "body_sha256", "kept", "body_truncated")

    def __init__(self, time: float, key: str | None, method: str, path: str, query: str,
                 headers: list[tuple[bytes, bytes]], body: bytes, keep: int) -> None:
        self.seq = 0  # set by Recorder.add
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


class RequestRecord(Record):
    """An inference-side request; `key` is its correlation."""

    __slots__ = ("prefer", "behaviour", "error", "status", "delay")

    def __init__(self, time: float, key: str | None, method: str, path: str, query: str,
                 headers: list[tuple[bytes, bytes]], body: bytes, keep: int, prefer: str | None) -> None:
        Record.__init__(self, time, key, method, path, query, headers, body, keep)
        self.prefer = prefer
        self.behaviour: dict[str, Any] | None = None
        self.error: dict[str, Any] | None = None
        self.status: int | None = None  # what was answered; None until then and for faults
        self.delay: float | None = None  # the delay actually applied (after any random draw)

    def echo_json(self) -> dict[str, Any]:
        """The echo document: the request as received."""
        return {"seq": self.seq, **self.message_json(), "prefer": self.prefer, "correlation": self.key}

    def to_json(self) -> dict[str, Any]:
        out = {"seq": self.seq, "time": self.time, "correlation": self.key, **self.message_json(),
               "prefer": self.prefer, "status": self.status, "delay": self.delay}
        if self.error is not None:
            out["error"] = self.error
        else:
            out["behaviour"] = self.behaviour
        return out


class Delivery(Record):
    """A webhook delivery recorded by the sink; `key` is the sink key."""

    __slots__ = ("status",)

    def __init__(self, status: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.status = status  # what the sink answered

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "time": self.time, "key": self.key, **self.message_json(), "status": self.status}


class _Waiter:
    __slots__ = ("missing", "future")

    def __init__(self, missing: int, future: asyncio.Future) -> None:
        self.missing = missing
        self.future = future


class Recorder:
    """A ring buffer of records bounded by count and by kept body bytes."""

    def __init__(self, size: int, byte_budget: int) -> None:
        self.size = size
        self.byte_budget = byte_budget
        self.last_seq = 0  # never reset, so `after=` stays meaningful across clears
        self._ring: deque[Record] = deque()
        self._by_key: dict[Any, deque[Record]] = {}
        self._waiters: dict[Any, list[_Waiter]] = {}
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._ring)

    def add(self, record: Record) -> int:
        self.last_seq += 1
        record.seq = self.last_seq
        self._ring.append(record)
        by_key = self._by_key.get(record.key)
        if by_key is None:
            self._by_key[record.key] = by_key = deque()
        by_key.append(record)
        self._bytes += len(record.kept)
        while len(self._ring) > self.size or (self._bytes > self.byte_budget and len(self._ring) > 1):
            self._evict()
        if self._waiters:
            self._wake(record.key)
            self._wake(ANY_KEY)
        return record.seq

    def _evict(self) -> None:
        old = self._ring.popleft()
        self._bytes -= len(old.kept)
        by_key = self._by_key[old.key]
        by_key.popleft()  # FIFO per key too: the oldest of its key
        if not by_key:
            del self._by_key[old.key]

    def _wake(self, key: Any) -> None:
        for waiter in self._waiters.get(key, ()):
            waiter.missing -= 1
            if waiter.missing <= 0 and not waiter.future.done():
                waiter.future.set_result(None)

    def query(self, key: Any = ANY_KEY, after: int = 0, limit: int | None = None) -> list[Record]:
        """Records of `key` (oldest first) with seq > `after`, at most `limit`."""
        source = self._ring if key is ANY_KEY else self._by_key.get(key, ())
        out = []
        for record in reversed(source):  # newest first: stop at `after` without scanning older ones
            if record.seq <= after:
                break
            out.append(record)
        out.reverse()
        return out if limit is None else out[:limit]

    async def wait(self, key: Any, count: int, timeout: float, after: int = 0) -> tuple[list[Record], bool]:
        """Wait until `count` records of `key` with seq > `after` are held, or
        `timeout` seconds pass. Returns (records, timed_out)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            records = self.query(key, after)
            remaining = deadline - loop.time()
            if len(records) >= count or remaining <= 0:
                return records, len(records) < count
            waiter = _Waiter(count - len(records), loop.create_future())
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
        self._ring.clear()
        self._by_key.clear()
        self._bytes = 0
