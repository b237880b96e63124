"""Mutant: delivers a fire-and-forget request with an empty body to the
container twice (a "keep-alive probe" retry that re-sends the request).

Requests with a body are delivered once, and every hand-written
fire-and-forget check sends a body, so they pass; `stateful_model` submits
bodies from a small set that includes the empty one and sees two deliveries.

Breaks GW-PROXY-03 (the container gets the request exactly once).
Realistic: a retry guarded by "nothing to re-send, so it is safe", which
forgets that the request itself is the work.
"""

from __future__ import annotations

from conformance.reference import ReferenceGateway
from conformance.reference.workers import Job

BREAKS = "GW-PROXY-03"
AIMED_AT = "stateful_model"


class Gateway(ReferenceGateway):
    async def run_proxy_job(self, job: Job) -> None:
        await super().run_proxy_job(job)
        if not job.request.body:
            await super().run_proxy_job(job)
