"""Mutant: before Completed the result route answers `404` ("no result yet").

Not a 200, so GW-RESULT-04 holds.

Breaks GW-RESULT-07 (SHOULD: 202 before Completed).
Realistic: "there is no result resource yet" read literally; the
provider's example client treats 202 as "not ready" and gives up on a 404.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredRequest

BREAKS = "GW-RESULT-07"
AIMED_AT = "result_before_completion"


class Gateway(ReferenceGateway):
    def pending_result_response(self, record: StoredRequest) -> Response:
        return JSONResponse({"error": f"no result for {record.id} yet"}, status_code=404)
