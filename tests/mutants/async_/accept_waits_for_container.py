"""Mutant: answers the respond-async 202 only once the container has answered.

Each accept then takes the container's time D, so with the container
saturated the accept latency is D, not "instant". Breaks GW-LOAD-02 (accept
p99 under T_accept under load) and GW-ASYNC-05.

In the suite proof (test_mutant_proof.py) it stands for GW-ASYNC-05: within the
GW-ASYNC family only that accept is timed; GW-LOAD-02 has its own mutant
(accept_waits_for_free_worker).
"""

from __future__ import annotations

from conformance.contract.prefer import Mode
from conformance.reference import ReferenceGateway
from conformance.reference.workers import Job

BREAKS = "GW-ASYNC-05"
AIMED_AT = "submission_accepted"


class AcceptWaitsForContainerGateway(ReferenceGateway):
    async def before_accept(self, job: Job) -> None:
        if job.mode is Mode.ASYNC:
            await job.finished.wait()


Gateway = AcceptWaitsForContainerGateway  # the name the mutant proof starts
