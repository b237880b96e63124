"""Mutant: answers the respond-async 202 only once the container has answered.

Each accept then takes the container's time D, so with the container
saturated the accept latency is D, not "instant". Breaks GW-LOAD-02 (accept
p99 under T_accept under load) and GW-ASYNC-05.
"""

from __future__ import annotations

from conformance.prefer import Mode
from conformance.reference import ReferenceGateway
from conformance.reference.workers import Job


class AcceptWaitsForContainerGateway(ReferenceGateway):
    async def before_accept(self, job: Job) -> None:
        if job.mode is Mode.ASYNC:
            await job.finished.wait()
