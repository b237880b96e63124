"""Mutant: drops 1 in 100 fire-and-forget submissions (the 10th, 110th, 210th, ...).

The 202 still goes out at once, so the client cannot tell; only the
container's journal can. Breaks GW-PROXY-05 (none dropped) and GW-LOAD-01
(nothing lost).

In the suite proof (test_mutant_proof.py) it stands for GW-PROXY-05: the
GW-PROXY family sends one timed submission, then N at once, so the 10th
delivery is always one of the N.
"""

from __future__ import annotations

import itertools

from conformance.reference import ReferenceGateway
from conformance.reference.workers import Job

BREAKS = "GW-PROXY-05"
AIMED_AT = "fire_and_forget_none_dropped"


class DropOneIn100ProxyGateway(ReferenceGateway):
    every = 100
    dropped_index = 9  # which one of each hundred (0-based)

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._proxy_jobs = itertools.count()

    async def run_proxy_job(self, job: Job) -> None:
        if next(self._proxy_jobs) % self.every == self.dropped_index:
            return  # accepted, never delivered
        await super().run_proxy_job(job)


Gateway = DropOneIn100ProxyGateway  # the name the mutant proof starts
