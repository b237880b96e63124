"""Mutant: makes each respond-async Id from a hash of the request body (in
UUID form), and a second submission with the same body takes over the Id,
its status and its result.

Ids look random and every hand-written check sends distinct bodies, so
GW-ASYNC-06 (N distinct Ids) and GW-ASYNC-09 (randomness) pass;
`stateful_model` sends bodies from a small set and sees an Id issued twice.

Breaks GW-ASYNC-06 (Ids are unique).
Realistic: content-addressed ids ("idempotency for free") in a service whose
clients were assumed never to send the same input twice.
"""

from __future__ import annotations

import hashlib
import uuid

from starlette.requests import Request
from starlette.responses import Response

from conformance.contract.prefer import Mode
from conformance.reference import ReferenceGateway
from conformance.reference.config import Deployment
from conformance.reference.workers import Job

BREAKS = "GW-ASYNC-06"
AIMED_AT = "stateful_model"


class Gateway(ReferenceGateway):
    async def handle_async(self, request: Request, deployment: Deployment) -> Response:
        if request.headers.getlist(self.id_header):
            return await super().handle_async(request, deployment)
        forward = await self.forward_request(request, deployment, Mode.ASYNC)
        inference_id = str(uuid.UUID(bytes=hashlib.sha256(forward.body).digest()[:16], version=4))
        earlier = self.store.get(deployment.name, inference_id)
        if earlier is not None:
            self.store.remove(earlier)  # the newer request takes the Id over
        job = Job(Mode.ASYNC, deployment, forward)
        self.admit(job, inference_id)
        await self.before_accept(job)
        assert job.record is not None
        return self.accept_response(job.record, request)
