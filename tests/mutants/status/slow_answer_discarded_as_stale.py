"""Mutant: a respond-async job holds a 1 s lease; an answer the container
gives after the lease expired is thrown away as stale, and since nobody
runs the job again the request stays `Inference` for ever.

Containers that answer within a second are unaffected, so every check
with a fast container passes; `status_lifecycle`, whose container takes
D = 2 s, polls until T_done and never sees Completed.

Breaks GW-STATUS-03 (Completed within T_done).
Realistic: a job lease shorter than the model's run time, with the
re-delivery that should follow an expired lease never written.
"""

from __future__ import annotations

import time

from conformance.reference import ReferenceGateway
from conformance.reference.proxy import UpstreamError
from conformance.reference.store import Status
from conformance.reference.workers import Job

BREAKS = "GW-STATUS-03"
AIMED_AT = "status_lifecycle"

LEASE = 1.0  # seconds


class Gateway(ReferenceGateway):
    async def run_async_job(self, job: Job) -> None:
        record = job.record
        assert record is not None
        started = time.monotonic()
        record.advance(Status.INFERENCE)
        try:
            response = await self.upstreams[job.deployment.name].fetch(job.request, self.config.max_result_body)
        except UpstreamError as exc:
            self.store.complete(record, self.gateway_failure(exc), exc.message)
            return
        if time.monotonic() - started > LEASE:
            return  # stale: the lease expired while the container worked
        self.store.complete(record, response, self.error_for(response))
