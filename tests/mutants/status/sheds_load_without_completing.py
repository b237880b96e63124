"""Mutant: respond-async jobs beyond 16 started within one second are shed
by the workers, after the 202, and the shed path never completes their
records: they stay `Inference` for ever.

One request at a time (or a handful) is handled correctly; N = 32
concurrent submissions lose about half of theirs.

Breaks GW-STATUS-03 (Completed within T_done): a request lost under load.
Realistic: load shedding added in the worker ("too busy, skip it") instead
of in front of the accept, where it could still answer 503; the accepted
request is simply forgotten.
"""

from __future__ import annotations

import collections
import time
from typing import Any

from conformance.reference import ReferenceGateway
from conformance.reference.store import Status
from conformance.reference.workers import Job

BREAKS = "GW-STATUS-03"
AIMED_AT = "results_isolated"

RATE = 16  # jobs started per second before the worker sheds
WINDOW = 1.0  # seconds


class Gateway(ReferenceGateway):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._started: collections.deque[float] = collections.deque()

    async def run_async_job(self, job: Job) -> None:
        now = time.monotonic()
        while self._started and self._started[0] <= now - WINDOW:
            self._started.popleft()
        if len(self._started) >= RATE:
            assert job.record is not None
            job.record.advance(Status.INFERENCE)
            return  # shed: nothing will ever complete the record
        self._started.append(now)
        await super().run_async_job(job)
