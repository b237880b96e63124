"""Mutant: a respond-async-container request the container answers with a
5xx is sent again once, 0.1 s later, and the second answer is relayed.

Breaks GW-CONT-04 (SHOULD: the container gets the request exactly once).
Realistic: "retry once on 5xx" is a common gateway default; for a container
that started a task before failing it may start the same task twice.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response

from conformance.contract.prefer import Mode
from conformance.reference import ReferenceGateway
from conformance.reference.config import Deployment

BREAKS = "GW-CONT-04"
AIMED_AT = "container_errors_relayed"

RETRY_AFTER = 0.1  # seconds


class Gateway(ReferenceGateway):
    async def handle_container(self, request: Request, deployment: Deployment) -> Response:
        forward = await self.forward_request(request, deployment, Mode.CONTAINER)
        response = await self.relay(deployment, forward)
        if response.status_code < 500:
            return response
        await response.close()
        await asyncio.sleep(RETRY_AFTER)
        return await self.relay(deployment, forward)
