"""Mutant: a respond-async call that has not been answered within a second
is sent to the container a second time ("hedged"); whichever answer comes
first is kept.

Breaks GW-ASYNC-07 (the container gets the submission exactly once): with
the container taking D = 2 s, it gets every slow submission twice.
Realistic: hedged or speculative requests are a standard latency trick for
idempotent reads; applied to inference they run the model twice (and bill
it twice).
"""

from __future__ import annotations

import asyncio

from conformance.reference import ReferenceGateway
from conformance.reference.proxy import UpstreamError
from conformance.reference.store import Status
from conformance.reference.workers import Job

BREAKS = "GW-ASYNC-07"
AIMED_AT = "submission_accepted"


class Gateway(ReferenceGateway):
    hedge_after = 1.0  # seconds; well below D, so every slow call is hedged

    async def run_async_job(self, job: Job) -> None:
        record = job.record
        assert record is not None
        record.advance(Status.INFERENCE)
        upstream = self.upstreams[job.deployment.name]
        calls = {asyncio.ensure_future(upstream.fetch(job.request, self.config.max_result_body))}
        done, _ = await asyncio.wait(calls, timeout=self.hedge_after)
        if not done:
            calls.add(asyncio.ensure_future(upstream.fetch(job.request, self.config.max_result_body)))
        done, pending = await asyncio.wait(calls, return_when=asyncio.FIRST_COMPLETED)
        for call in pending:
            call.cancel()
        try:
            response = done.pop().result()
            error = self.error_for(response)
        except UpstreamError as exc:
            response, error = self.gateway_failure(exc), exc.message
        self.store.complete(record, response, error)
