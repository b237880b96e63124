"""Mutant: a respond-async 202 is sent only once a worker has taken the job
(a worker pool without a waiting room: submission = hand-over to a worker).

With a free worker the 202 is immediate, so GW-ASYNC-05 (one submission
while the container is slow) holds. With the container saturated, every
submission beyond the worker count waits for a worker to finish a call of D.

Breaks GW-LOAD-02 (SHOULD: with the container saturated, p99 accept latency
stays under T_accept). Run with 16 workers (GATEWAY_OPTIONS), half of the
suite's N = 32.
Realistic: `await pool.submit(job)` that blocks until a worker picks the job
up, instead of queueing it and answering at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from conformance.contract.prefer import Mode
from conformance.reference import ReferenceGateway
from conformance.reference.workers import Job

BREAKS = "GW-LOAD-02"
AIMED_AT = "accept_latency_when_saturated"
GATEWAY_OPTIONS = ("--workers", "16")


class Gateway(ReferenceGateway):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._taken: dict[Job, asyncio.Event] = {}

    def _taken_event(self, job: Job) -> asyncio.Event:
        return self._taken.setdefault(job, asyncio.Event())

    async def take_job(self, queue: Any) -> Job:
        job = await super().take_job(queue)
        if job.mode is Mode.ASYNC:
            self._taken_event(job).set()
        return job

    async def before_accept(self, job: Job) -> None:
        if job.mode is Mode.ASYNC:
            try:
                await self._taken_event(job).wait()
            finally:
                self._taken.pop(job, None)
