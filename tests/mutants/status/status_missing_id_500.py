"""Mutant: the status route reads `request.headers["X-Inference-Id"]`, so a
request without the header raises KeyError, which the route's catch-all
turns into `500 {"error": ...}`.

Breaks GW-STATUS-05 (a missing X-Inference-Id answers 4xx, never 5xx).
Realistic: indexing a header mapping instead of `.get()`, behind an
`except Exception: return 500` handler; a server error tells the client it
was the gateway's fault and invites retries.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from conformance.reference import ReferenceGateway
from conformance.reference.errors import GatewayError

BREAKS = "GW-STATUS-05"
AIMED_AT = ("status_unknown_or_missing_id", "schema_conformance")


class Gateway(ReferenceGateway):
    async def status_endpoint(self, request: Request) -> Response:
        name = request.path_params["deployment"]
        try:
            inference_id = request.headers["X-Inference-Id"]  # KeyError when missing
        except Exception as exc:  # noqa: BLE001 - the catch-all of the mutant
            return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=500)
        record = self.store.get(name, inference_id)
        if record is None:
            raise GatewayError(404, f"no request {inference_id!r} for deployment {name!r}")
        return self.status_response(record)
