"""Mutant: accepts every respond-async submission but never finishes 1 in 50 of
them (the 10th, 60th, 110th, ...): the status stays `Inference` for ever.

The 202 looked fine, so only following each Id to Completed shows it:
`results_isolated` follows 32 concurrent submissions to Completed, and the
10th never gets there (run alone: in a full run the 10th job may be any
check's).

Breaks GW-STATUS-03 (Completed within T_done). A load run that follows
every Id also sees GW-LOAD-01 (nothing lost): tests/load uses this gateway.
"""

from __future__ import annotations

import itertools

from conformance.reference import ReferenceGateway
from conformance.reference.store import Status
from conformance.reference.workers import Job

BREAKS = "GW-STATUS-03"
AIMED_AT = "results_isolated"
#: the loss is a count over every async job the gateway runs, whichever check sent it: only a run of
#: `results_isolated` alone (32 submissions, the 10th lost) makes which check sees it certain
ALONE = True


class LosesOneIn50AsyncGateway(ReferenceGateway):
    every = 50
    lost_index = 9

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._async_jobs = itertools.count()

    async def run_async_job(self, job: Job) -> None:
        if next(self._async_jobs) % self.every == self.lost_index:
            assert job.record is not None
            job.record.advance(Status.INFERENCE)
            return  # the worker moves on; the record is never completed
        await super().run_async_job(job)


Gateway = LosesOneIn50AsyncGateway
