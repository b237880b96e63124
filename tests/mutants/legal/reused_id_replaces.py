"""Legal variant (GW-ASYNC-11): a submission reusing a client-supplied
`X-Inference-Id` that is still in use replaces the earlier request under
that Id, instead of the reference's 409.

The contract leaves this open, so every MUST and SHOULD passes and only
the INFO observation changes (OBSERVES).
"""

from __future__ import annotations

from conformance.reference import ReferenceGateway
from conformance.reference.workers import Job

LEGALLY_FAILS: frozenset[str] = frozenset()
OBSERVES = {"GW-ASYNC-11": "accepted it again under the same Id"}


class Gateway(ReferenceGateway):
    def admit(self, job: Job, inference_id: str | None) -> None:
        if inference_id is not None:
            earlier = self.store.get(job.deployment.name, inference_id)
            if earlier is not None:
                self.store.remove(earlier)
        super().admit(job, inference_id)
