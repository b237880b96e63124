"""Mutant: a respond-async-container request the container answers with
`202 Accepted` is sent again once, 0.1 s later, and that second answer is
relayed, as if 202 meant "not done, ask again".

Breaks GW-CONT-04 (SHOULD: the container receives the request exactly
once): `container_answer_relayed`, whose container answers 202 with its
task document. Error answers are relayed at once.
Realistic: a gateway written for polling APIs that treats 202 as "retry".
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response

from conformance.contract.prefer import Mode
from conformance.reference import ReferenceGateway
from conformance.reference.config import Deployment

BREAKS = "GW-CONT-04"
AIMED_AT = "container_answer_relayed"

RETRY_AFTER = 0.1  # seconds


class Gateway(ReferenceGateway):
    async def handle_container(self, request: Request, deployment: Deployment) -> Response:
        forward = await self.forward_request(request, deployment, Mode.CONTAINER)
        response = await self.relay(deployment, forward)
        if response.status_code != 202:
            return response
        await response.close()
        await asyncio.sleep(RETRY_AFTER)
        return await self.relay(deployment, forward)
