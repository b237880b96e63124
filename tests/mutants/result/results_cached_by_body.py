"""Mutant: caches respond-async answers by the request body: a submission
whose body was seen before is completed with the earlier answer, without
calling the container.

Every hand-written check sends distinct bodies (GW-RESULT-05 and GW-LOAD-01
make each unique on purpose), so they pass; `stateful_model` sends bodies
from a small set and reads a result that is the answer to another
submission.

Breaks GW-RESULT-05 (every result is the answer to its own submission).
Also fails GW-RESULT-01 when `async_result_property` repeats a body with a
different container answer (the same cache, seen from one request).
Realistic: "inference is deterministic, so cache it by input", forgetting
that the path, the query and the headers are input too.
"""

from __future__ import annotations

from typing import Any

from conformance.reference import ReferenceGateway
from conformance.reference.store import Status, StoredResponse
from conformance.reference.workers import Job

BREAKS = "GW-RESULT-05"
AIMED_AT = "stateful_model"


class Gateway(ReferenceGateway):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._answers: dict[bytes, tuple[StoredResponse, str | None]] = {}

    async def run_async_job(self, job: Job) -> None:
        cached = self._answers.get(job.request.body)
        if cached is None:
            await super().run_async_job(job)
            record = job.record
            if record is not None and record.response is not None:
                self._answers[job.request.body] = (record.response, record.error)
            return
        assert job.record is not None
        job.record.advance(Status.INFERENCE)
        self.store.complete(job.record, *cached)
