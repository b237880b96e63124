"""Mutant: respond-async-proxy is answered `202 {"status": "accepted"}`.

Breaks GW-PROXY-01 (202 with an empty body).
Realistic: a JSON acknowledgement looks friendlier than an empty body, and
the gateway reuses the shape of its container's own acknowledgement.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from conformance.reference import ReferenceGateway
from conformance.reference.workers import Job

BREAKS = "GW-PROXY-01"
AIMED_AT = "fire_and_forget"


class Gateway(ReferenceGateway):
    def proxy_accept_response(self, job: Job) -> Response:
        return JSONResponse({"status": "accepted"}, status_code=202)
