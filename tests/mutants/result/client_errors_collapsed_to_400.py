"""Mutant: a container 4xx is stored as `400` whatever its code (422 -> 400);
5xx and 2xx codes are kept.

The failure stays visible (a 4xx and a non-empty Error), so GW-RESULT-02 holds.

Breaks GW-RESULT-10 (SHOULD: exactly the container's status code).
Realistic: a gateway that maps container answers onto its own small set of
codes ("any client error is a 400"), losing 404, 409, 413, 422 and 429.
"""

from __future__ import annotations

import dataclasses

from starlette.responses import Response

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredRequest

BREAKS = "GW-RESULT-10"
AIMED_AT = ("result_of_failure", "async_result_property")


class Gateway(ReferenceGateway):
    def result_response(self, record: StoredRequest) -> Response:
        assert record.response is not None
        if 400 <= record.response.status_code < 500:
            record = dataclasses.replace(record, response=dataclasses.replace(record.response, status_code=400))
        return super().result_response(record)
