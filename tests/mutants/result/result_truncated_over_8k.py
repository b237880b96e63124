"""Mutant: keeps at most 8 KiB of a respond-async result: a longer container
answer is stored cut at 8192 bytes, its status and Content-Type intact.

Every hand-written check's container answer is far smaller, so they pass;
`async_result_property` asks for answers up to 40 KiB and shrinks to the
smallest one that breaks (8193 bytes).

Breaks GW-RESULT-01 (the result carries the container's body bytes).
Realistic: one read of a fixed-size buffer (`await response.read(8192)`)
where a loop until the end was meant.
"""

from __future__ import annotations

from conformance.reference import ReferenceGateway
from conformance.reference.proxy import UpstreamError
from conformance.reference.store import Status, StoredResponse
from conformance.reference.workers import Job

BREAKS = "GW-RESULT-01"
AIMED_AT = "async_result_property"
LIMIT = 8192


class Gateway(ReferenceGateway):
    async def run_async_job(self, job: Job) -> None:
        record = job.record
        assert record is not None
        record.advance(Status.INFERENCE)
        try:
            response = await self.upstreams[job.deployment.name].fetch(job.request, self.config.max_result_body)
            response = StoredResponse(response.status_code, response.headers, response.body[:LIMIT])
            error = self.error_for(response)
        except UpstreamError as exc:
            response, error = self.gateway_failure(exc), exc.message
        self.store.complete(record, response, error)
