"""Mutant: respond-async-proxy submissions are acknowledged and queued, but
the worker never sends them: the container never gets them, so whatever it
would have done afterwards (its webhook call) never happens.

Breaks GW-PROXY-04 (the container's follow-up work happens).
Realistic: a fire-and-forget queue whose consumer is missing or dead (a
worker that only handles respond-async jobs); the 202 looks fine for ever.
ALSO_FAILS: GW-PROXY-03 and GW-PROXY-05. The mock container finishes its
work whatever the gateway does once the request has arrived (it ignores a
client that hangs up), so the only way a gateway can stop the webhook it
can observe is by not delivering the request, which those two judge too.
See proxy_hangs_up_before_answer for the break this cannot show.
"""

from __future__ import annotations

from conformance.reference import ReferenceGateway
from conformance.reference.workers import Job

BREAKS = "GW-PROXY-04"
AIMED_AT = "fire_and_forget"
ALSO_FAILS = frozenset({"GW-PROXY-03", "GW-PROXY-05"})


class Gateway(ReferenceGateway):
    async def run_proxy_job(self, job: Job) -> None:
        return  # the consumer that should deliver it does not exist
