"""Mutant: the worker logs each respond-async submission's body as text
before sending it; a body that is not UTF-8 raises, the worker drops the
job, and the request stays `Inference` for ever.

Text and JSON submissions (every hand-written check's) complete; the
generated binary bodies of `async_result_property` and the model's
`\\x00\\xff...` body never do.

Breaks GW-STATUS-03 (Completed within T_done, whatever the request was).
Realistic: `log.info("job %s: %s", id, body.decode())` in a worker whose
exceptions are swallowed by the task runner.
"""

from __future__ import annotations

from conformance.reference import ReferenceGateway
from conformance.reference.store import Status
from conformance.reference.workers import Job

BREAKS = "GW-STATUS-03"
AIMED_AT = ("async_result_property", "stateful_model")


class Gateway(ReferenceGateway):
    async def run_async_job(self, job: Job) -> None:
        assert job.record is not None
        try:
            job.request.body.decode("utf-8")
        except UnicodeDecodeError:
            job.record.advance(Status.INFERENCE)
            return  # the worker died on the log line; nothing completes the record
        await super().run_async_job(job)
