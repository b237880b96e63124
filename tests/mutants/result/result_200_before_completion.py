"""Mutant: before Completed the result route answers `200` with the status
document (instead of 202).

Breaks GW-RESULT-04 (before Completed the result route never answers 200).
Realistic: "the request exists, so 200" with the status as the body; a
client that reads the result by its status code takes the status document
for the inference answer.
ALSO_FAILS: GW-RESULT-07 (SHOULD: 202 while pending); a pending 200 is
necessarily not a 202.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredRequest

BREAKS = "GW-RESULT-04"
AIMED_AT = "result_before_completion"
ALSO_FAILS = frozenset({"GW-RESULT-07"})


class Gateway(ReferenceGateway):
    def pending_result_response(self, record: StoredRequest) -> Response:
        return JSONResponse(self.status_document(record))
