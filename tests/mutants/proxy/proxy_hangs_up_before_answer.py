"""Mutant: a respond-async-proxy delivery is sent and the connection is cut
0.2 s later, without waiting for the container's answer.

Against a container that cancels work when its client goes away (the
default in Go's net/http request context, in ASGI apps that watch for
`http.disconnect`, in most gRPC servers), the work and its webhook never
happen, although the container got the request once and unchanged.

Breaks GW-PROXY-04 (the container's follow-up work happens) against such a
container: the check plays one with the mock's `on-disconnect: cancel`.
Realistic: "fire and forget" read as "send the bytes, do not wait for anything".
"""

from __future__ import annotations

import asyncio

from conformance.reference import ReferenceGateway
from conformance.reference.workers import Job

BREAKS = "GW-PROXY-04"
AIMED_AT = "fire_and_forget"

HANG_UP_AFTER = 0.2  # seconds


class Gateway(ReferenceGateway):
    async def run_proxy_job(self, job: Job) -> None:
        upstream = self.upstreams[job.deployment.name]
        try:
            await asyncio.wait_for(upstream.fetch(job.request, self.config.max_result_body), HANG_UP_AFTER)
        except Exception:  # noqa: BLE001 - a timeout included: fire and forget, nobody to tell
            pass
