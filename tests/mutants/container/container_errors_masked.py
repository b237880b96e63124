"""Mutant: a respond-async-container request the container answers with
4xx or 5xx gets the gateway's own `502 {"error": "container error"}`.

Breaks GW-CONT-03 (container error responses are relayed as they are).
Realistic: upstream error interception, as in sync_masks_container_errors,
applied to the container mode; the container's own 400 explaining which
field was wrong never reaches the client.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from conformance.reference import ReferenceGateway
from conformance.reference.config import Deployment

BREAKS = "GW-CONT-03"
AIMED_AT = ("container_errors_relayed", "container_relay_property")


class Gateway(ReferenceGateway):
    async def handle_container(self, request: Request, deployment: Deployment) -> Response:
        response = await super().handle_container(request, deployment)
        if response.status_code < 400:
            return response
        await response.close()  # free the container connection; its answer is thrown away
        return JSONResponse({"error": "container error"}, status_code=502)
