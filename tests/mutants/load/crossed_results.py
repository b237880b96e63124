"""Mutant: crosses respond-async results under concurrency.

A finished job parks its answer in one shared slot for a moment; when a
second job finishes while the first is parked, the two answers are stored
under each other's Id. One job at a time is handled correctly, so only
concurrent load shows it. Breaks GW-RESULT-05 (isolation) and GW-LOAD-01
(no crossed result).

In the suite proof (test_mutant_proof.py) it stands for GW-LOAD-01: within the
GW-LOAD family the mixed-mode check follows its respond-async results. In
the GW-RESULT family it would also cross the results of the other result
checks, whose cases run concurrently, so GW-RESULT-05 has its own mutant
(results_deduplicated_by_weak_validator).
"""

from __future__ import annotations

import asyncio
from typing import Any

from conformance.reference import ReferenceGateway
from conformance.reference.proxy import UpstreamError
from conformance.reference.store import Status
from conformance.reference.workers import Job

BREAKS = "GW-LOAD-01"
AIMED_AT = "mixed_modes_under_load"


class CrossedResultsGateway(ReferenceGateway):
    window = 0.05  # seconds an answer waits in the shared slot for a partner

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._parked: tuple[Any, Any, Any, asyncio.Event] | None = None

    async def run_async_job(self, job: Job) -> None:
        record = job.record
        assert record is not None
        record.advance(Status.INFERENCE)
        try:
            response = await self.upstreams[job.deployment.name].fetch(job.request, self.config.max_result_body)
            error = self.error_for(response)
        except UpstreamError as exc:
            response, error = self.gateway_failure(exc), exc.message
        parked = self._parked
        if parked is not None:  # another job finished moments ago: the answers are swapped
            self._parked = None
            other_record, other_response, other_error, done = parked
            self.store.complete(other_record, response, error)
            self.store.complete(record, other_response, other_error)
            done.set()
            return
        done = asyncio.Event()
        self._parked = (record, response, error, done)
        try:
            await asyncio.wait_for(done.wait(), self.window)
        except TimeoutError:
            if self._parked is not None and self._parked[0] is record:  # nobody came: its own answer
                self._parked = None
                self.store.complete(record, response, error)


Gateway = CrossedResultsGateway  # the name the mutant proof starts
