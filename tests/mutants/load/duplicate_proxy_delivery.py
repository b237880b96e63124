"""Mutant: delivers 1 in 20 fire-and-forget submissions to the container twice
(the 5th, 25th, 45th, ...), as a gateway that retries a delivery it should not.

Breaks GW-LOAD-01 (no duplicate) and the "exactly once" of GW-PROXY-03.

In the suite proof (test_mutant_proof.py) it stands for GW-LOAD-01: the
mixed-mode check sends N/4 = 8 fire-and-forget submissions, so the 5th is
always delivered twice. (GW-PROXY-03 judges one submission, the first.)
"""

from __future__ import annotations

import itertools

from conformance.reference import ReferenceGateway
from conformance.reference.workers import Job

BREAKS = "GW-LOAD-01"
AIMED_AT = "mixed_modes_under_load"


class DuplicateProxyDeliveryGateway(ReferenceGateway):
    every = 20
    duplicated_index = 4

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._proxy_jobs = itertools.count()

    async def run_proxy_job(self, job: Job) -> None:
        await super().run_proxy_job(job)
        if next(self._proxy_jobs) % self.every == self.duplicated_index:
            await super().run_proxy_job(job)


Gateway = DuplicateProxyDeliveryGateway  # the name the mutant proof starts
