"""Mutant: synchronous answers are read whole from the container before the
first byte goes to the client (status, headers and body are kept).

Breaks GW-SYNC-04 (SHOULD: a streamed answer reaches the client incrementally).
Realistic: a proxy that buffers responses (nginx's proxy_buffering on, or
`await client.request(...)` followed by `Response(body)`) turns a token
stream into one late answer.
"""

from __future__ import annotations

from starlette.responses import Response

from conformance.reference import ReferenceGateway
from conformance.reference.config import Deployment
from conformance.reference.proxy import ForwardRequest

BREAKS = "GW-SYNC-04"
AIMED_AT = "streamed_response_is_incremental"


class Gateway(ReferenceGateway):
    async def relay(self, deployment: Deployment, forward: ForwardRequest) -> Response:
        stored = await self.upstreams[deployment.name].fetch(forward, self.config.max_result_body)
        response = Response(stored.body, status_code=stored.status_code)
        response.raw_headers = stored.headers + response.raw_headers  # + Content-Length of the whole body
        return response
