"""Mutant: a respond-async-proxy 202 is sent only once the container has
answered the forwarded request.

Breaks GW-PROXY-02 (the 202 arrives within T_accept while the container takes D).
Realistic: "fire and forget" implemented as an ordinary proxied call whose
answer is replaced by a 202; the client waits as long as a synchronous one.
"""

from __future__ import annotations

from conformance.contract.prefer import Mode
from conformance.reference import ReferenceGateway
from conformance.reference.workers import Job

BREAKS = "GW-PROXY-02"
AIMED_AT = "fire_and_forget"


class Gateway(ReferenceGateway):
    async def before_accept(self, job: Job) -> None:
        if job.mode is Mode.PROXY:
            await job.finished.wait()
