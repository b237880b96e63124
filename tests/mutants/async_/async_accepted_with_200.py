"""Mutant: respond-async is answered `200 OK` (with a correct accept document
and headers) instead of `202 Accepted`.

Breaks GW-ASYNC-01 (respond-async is answered with 202).
Realistic: the web framework's default status for a JSON response is 200,
and the author never set 202; the provider's client then treats the
submission as failed.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredRequest

BREAKS = "GW-ASYNC-01"
AIMED_AT = ("submission_accepted", "async_result_property")


class Gateway(ReferenceGateway):
    def accept_response(self, record: StoredRequest, request: Request) -> Response:
        document = self.accept_document(record, request)
        return JSONResponse(document, headers=self.accept_headers(record, document))  # status 200
