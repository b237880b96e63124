"""Mutant: the 202 carries `X-Inference-Id` only when the client sent one
(it is echoed from the request); a gateway-made Id is in the body only.

Breaks GW-ASYNC-03 (the 202 carries X-Inference-Id equal to Id).
Realistic: the header comes from a generic "echo the request id" middleware
rather than from the accept handler, so it is there exactly when the client
supplied the id itself, which is the case developers tried by hand.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredRequest

BREAKS = "GW-ASYNC-03"
AIMED_AT = ("submission_accepted", "schema_conformance")


class Gateway(ReferenceGateway):
    def accept_headers(self, record: StoredRequest, document: dict[str, Any]) -> dict[str, str]:
        return {"Location": document["ResultPath"]}

    def accept_response(self, record: StoredRequest, request: Request) -> Response:
        response = super().accept_response(record, request)
        supplied = request.headers.get(self.id_header)
        if supplied is not None:  # the echo middleware
            response.headers[self.id_header] = supplied
        return response
