"""Mutant: a respond-async submission's body is kept as text until the
worker sends it: decoded as UTF-8 (undecodable bytes become U+FFFD) and
encoded again, so a binary body reaches the container changed.

Text and JSON bodies come through as sent, so the hand-written
`submission_accepted` (a JSON body) passes; the generated binary bodies of
`async_result_property` and the model's `\\x00\\xff...` body catch it.

Breaks GW-ASYNC-07 (the container receives the submission's body bytes).
Realistic: queueing the job in a store with a text column (or a JSON
document) and `body.decode(errors="replace")` to make it fit.
"""

from __future__ import annotations

import dataclasses

from starlette.requests import Request

from conformance.contract.prefer import Mode
from conformance.reference import ReferenceGateway
from conformance.reference.config import Deployment
from conformance.reference.proxy import ForwardRequest

BREAKS = "GW-ASYNC-07"
AIMED_AT = ("async_result_property", "stateful_model")


class Gateway(ReferenceGateway):
    async def forward_request(self, request: Request, deployment: Deployment, mode: Mode) -> ForwardRequest:
        forward = await super().forward_request(request, deployment, mode)
        if mode is not Mode.ASYNC:
            return forward
        return dataclasses.replace(forward, body=forward.body.decode("utf-8", "replace").encode("utf-8"))
