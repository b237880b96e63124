"""Mutant: the status route parses the X-Inference-Id as a UUID before the
lookup, and an Id that is not hexadecimal (or has no dashes where a UUID
has them) crashes it: `500 Internal Server Error`.

UUIDs (what the gateway issues, and what every hand-written check and the
stateful model send as unknown Ids) get their 404; the schema stage, which
generates X-Inference-Id values from the OpenAPI description, finds the 500.

Breaks GW-STATUS-04 (an Id the gateway does not know answers 404, never a
server error).
Realistic: `uuid.UUID(header)` to normalise ids, without a try around it.
"""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import Response

from conformance.reference import ReferenceGateway

BREAKS = "GW-STATUS-04"
AIMED_AT = "schema_conformance"


class Gateway(ReferenceGateway):
    async def status_endpoint(self, request: Request) -> Response:
        inference_id = self.lookup_id(request)
        if self.store.get(request.path_params["deployment"], inference_id) is None:
            uuid.UUID(inference_id)  # ValueError for anything but a UUID: 500
        return await super().status_endpoint(request)
