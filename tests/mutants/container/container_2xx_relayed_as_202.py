"""Mutant: in respond-async-container mode every 2xx answer of the container
reaches the client as `202 Accepted` (its body and headers unchanged).

The hand-written checks have the container answer 202 (kept) and 4xx/5xx
(relayed), so they pass; `container_relay_property` has it answer 200, 201,
206 ... and sees the status change.

Breaks GW-CONT-02 (the client gets the container's own status code).
Realistic: "this mode is asynchronous, so the answer is a 202" hard-coded in
the relay, right for the containers the author tried.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from conformance.reference import ReferenceGateway
from conformance.reference.config import Deployment

BREAKS = "GW-CONT-02"
AIMED_AT = "container_relay_property"


class Gateway(ReferenceGateway):
    async def handle_container(self, request: Request, deployment: Deployment) -> Response:
        response = await super().handle_container(request, deployment)
        if 200 <= response.status_code < 300:
            response.status_code = 202
        return response
