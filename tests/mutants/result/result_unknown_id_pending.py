"""Mutant: the result route answers an Id it does not know with
`202 {"Status": "Initialized"}`, as if the request were not ready yet.

Breaks GW-RESULT-06 (an unknown X-Inference-Id on the result route answers 404).
Realistic: with an eventually consistent store, "not found" may mean "not
written yet", so the gateway says "not ready"; a client with a mistyped or
expired Id then polls for ever.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from conformance.reference import ReferenceGateway
from conformance.reference.errors import GatewayError
from conformance.reference.store import Status

BREAKS = "GW-RESULT-06"
AIMED_AT = ("result_unknown_or_missing_id", "stateful_model", "schema_conformance")


class Gateway(ReferenceGateway):
    async def result_endpoint(self, request: Request) -> Response:
        try:
            return await super().result_endpoint(request)
        except GatewayError as error:
            if error.status != 404:
                raise
            document = {"Id": self.lookup_id(request), "Status": self.encode_status(Status.INITIALIZED), "Error": None}
            return JSONResponse(document, status_code=202)
