"""Mutant: when the container cannot be reached or never answers, the
request completes with the gateway's 502 or 504 result, but `Error` stays
null: only an answer of the container's own fills it.

Breaks GW-STATUS-08 (SHOULD: `Error` is a non-empty string once the
inference failed, the container unreachable or timed out included):
`result_when_container_fails_to_answer`. A container's 5xx still sets
`Error`, so `result_of_failure` passes.
Realistic: Error taken from the container's error body, with nothing to
take it from when there is no container answer.
"""

from __future__ import annotations

from conformance.reference import ReferenceGateway
from conformance.reference.proxy import UpstreamError
from conformance.reference.store import Status
from conformance.reference.workers import Job

BREAKS = "GW-STATUS-08"
AIMED_AT = "result_when_container_fails_to_answer"


class Gateway(ReferenceGateway):
    async def run_async_job(self, job: Job) -> None:
        record = job.record
        assert record is not None
        record.advance(Status.INFERENCE)
        try:
            response = await self.upstreams[job.deployment.name].fetch(job.request, self.config.max_result_body)
        except UpstreamError as exc:
            self.store.complete(record, self.gateway_failure(exc), None)
            return
        self.store.complete(record, response, self.error_for(response))
