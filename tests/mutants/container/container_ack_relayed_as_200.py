"""Mutant: a successful respond-async-container answer is relayed with
status `200` whatever the container said (its 202 becomes 200); the body
and headers are the container's.

Breaks GW-CONT-02 (the client gets the container's own status code).
Realistic: "2xx means OK" normalisation in the relay; the client can no
longer tell "accepted, here is my task id" (202) from "done, here is the
answer" (200).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from conformance.reference import ReferenceGateway
from conformance.reference.config import Deployment

BREAKS = "GW-CONT-02"
AIMED_AT = ("container_answer_relayed", "container_relay_property")


class Gateway(ReferenceGateway):
    async def handle_container(self, request: Request, deployment: Deployment) -> Response:
        response = await super().handle_container(request, deployment)
        if 200 <= response.status_code < 300:
            response.status_code = 200
        return response
