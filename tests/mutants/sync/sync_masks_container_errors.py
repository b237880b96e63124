"""Mutant: a synchronous request the container answers with a 5xx gets the
gateway's own `502 {"error": "upstream error"}` instead of the container's
status, body and Content-Type.

Breaks GW-SYNC-02 (the client gets the container's answer, errors included).
Realistic: "intercept upstream errors" (nginx's proxy_intercept_errors, an
API gateway's error template) is a common default that hides the model
server's own error message from the client.
ALSO_FAILS: GW-SYNC-03. The answers to PUT, PATCH and DELETE go through the
same relay, and relaying them unchanged is that SHOULD; a generated example
with one of those methods and a 5xx answer fails it too.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from conformance.reference import ReferenceGateway
from conformance.reference.config import Deployment

BREAKS = "GW-SYNC-02"
AIMED_AT = ("response_reaches_client_unchanged", "sync_relay_property")
ALSO_FAILS = frozenset({"GW-SYNC-03"})


class Gateway(ReferenceGateway):
    async def handle_sync(self, request: Request, deployment: Deployment) -> Response:
        response = await super().handle_sync(request, deployment)
        if response.status_code < 500:
            return response
        await response.close()  # free the container connection; its answer is thrown away
        return JSONResponse({"error": "upstream error"}, status_code=502)
