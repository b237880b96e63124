"""Mutant: the status route uses the looked-up record without checking that
it exists; for an unknown Id that raises, and the route's catch-all turns
it into `500 {"error": ...}`.

Breaks GW-STATUS-04 (an unknown X-Inference-Id on the status route answers 404).
Realistic: a missing None check on a dictionary lookup behind an
`except Exception: return 500` handler; the result route, written
separately, has the check.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from conformance.reference import ReferenceGateway

BREAKS = "GW-STATUS-04"
AIMED_AT = ("status_unknown_or_missing_id", "stateful_model", "schema_conformance")


class Gateway(ReferenceGateway):
    async def status_endpoint(self, request: Request) -> Response:
        inference_id = self.lookup_id(request)
        try:
            record = self.store.get(request.path_params["deployment"], inference_id)
            return self.status_response(record)  # type: ignore[arg-type]  # None for an unknown Id: AttributeError
        except Exception as exc:  # noqa: BLE001 - the catch-all of the mutant
            return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=500)
