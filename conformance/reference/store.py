"""Status and result records of respond-async requests: bounded, in memory, expiring.

A record lives from submission until `retention` seconds after it completed.
Pending records never expire (the queue bounds them); completed ones are
swept in completion order, lazily, on every insert and lookup, so no
background task is needed and expiry is exact at read time.
"""

from __future__ import annotations

import enum
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from ..contract.status import STATUS_NAMES
from .budget import ByteBudget

__all__ = ["Status", "StoredResponse", "StoredRequest", "InferenceStore", "IdInUse", "StoreFull"]


class Status(enum.IntEnum):
    """The four states, with the provider's integer codes (GW-STATUS-01)."""

    INITIALIZED = 0
    QUEUE = 1
    INFERENCE = 2
    COMPLETED = 3

    @property
    def label(self) -> str:
        """The name the provider's client parses: `Initialized` .. `Completed`."""
        return STATUS_NAMES[self]


@dataclass(frozen=True)
class StoredResponse:
    """What the container answered (or the gateway's 502/504 in its place)."""

    status_code: int
    #: End-to-end headers as received, lower-case names, duplicates kept; no Content-Length.
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass(eq=False)
class StoredRequest:
    id: str
    deployment: str
    status: Status = Status.INITIALIZED
    created: float = 0.0
    completed_at: float | None = None
    response: StoredResponse | None = None
    error: str | None = None
    #: When the status last changed, per state (monotonic clock): handy for logs and tests.
    history: dict[Status, float] = field(default_factory=dict)

    def advance(self, status: Status, now: float | None = None) -> None:
        """Move forward to `status`; a move backwards is ignored (GW-STATUS-02)."""
        if status > self.status:
            self.status = status
            self.history[status] = time.monotonic() if now is None else now


class IdInUse(Exception):
    """The id already names a live record of this deployment."""


class StoreFull(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("record store full")
        self.retry_after = retry_after


class InferenceStore:
    def __init__(
        self,
        max_records: int,
        retention: float,
        budget: ByteBudget,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_records = max_records
        self.retention = retention
        self.budget = budget
        self._clock = clock
        self._records: dict[tuple[str, str], StoredRequest] = {}
        #: (expires_at, record) in completion order; retention is fixed, so also expiry order.
        self._expiry: deque[tuple[float, StoredRequest]] = deque()

    def __len__(self) -> int:
        self._sweep()
        return len(self._records)

    def create(self, deployment: str, record_id: str) -> StoredRequest:
        self._sweep()
        key = (deployment, record_id)
        if key in self._records:
            raise IdInUse(record_id)
        if len(self._records) >= self.max_records:
            raise StoreFull(self.seconds_until_space())
        now = self._clock()
        record = StoredRequest(id=record_id, deployment=deployment, created=now)
        record.history[Status.INITIALIZED] = now
        self._records[key] = record
        return record

    def get(self, deployment: str, record_id: str) -> StoredRequest | None:
        """The live record, or None when unknown, expired, or of another deployment (GW-SEC-01)."""
        self._sweep()
        return self._records.get((deployment, record_id))

    def complete(self, record: StoredRequest, response: StoredResponse, error: str | None) -> None:
        """Keep the result, then mark Completed: a reader never sees Completed without it."""
        if record.status is Status.COMPLETED:
            return
        now = self._clock()
        record.response = response
        record.error = error
        record.completed_at = now
        self.budget.reserve(len(response.body))
        record.advance(Status.COMPLETED, now)
        if self._records.get((record.deployment, record.id)) is record:
            self._expiry.append((now + self.retention, record))
        else:  # removed while it ran: nothing will read it
            self.budget.release(len(response.body))

    def remove(self, record: StoredRequest) -> None:
        """Forget a record now (a submission that could not be queued)."""
        if self._records.get((record.deployment, record.id)) is record:
            del self._records[(record.deployment, record.id)]
            if record.response is not None:
                self.budget.release(len(record.response.body))

    def _sweep(self) -> None:
        now = self._clock()
        while self._expiry and self._expiry[0][0] <= now:
            _, record = self._expiry.popleft()
            self.remove(record)

    def seconds_until_space(self) -> int:
        """When a record is sure to have left (the oldest completed one expires): a Retry-After."""
        if not self._expiry:
            return 1
        return max(1, math.ceil(self._expiry[0][0] - self._clock()))
