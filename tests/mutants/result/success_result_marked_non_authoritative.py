"""Mutant: a stored 2xx answer is served from the result route as
`203 Non-Authoritative Information` (body, Content-Type and headers kept).

Breaks GW-RESULT-10 (SHOULD: the result answers with exactly the
container's status code): `result_of_success` (a container 200) and
`async_result_property` (generated 2xx answers). Still a 2xx with the
container's bytes, so GW-RESULT-01 passes.
Realistic: RFC 9110 §15.3.4 lets a transforming proxy say 203; a cache in
front of the result route that rewrites what it stores says it always.
"""

from __future__ import annotations

from starlette.responses import Response

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredRequest

BREAKS = "GW-RESULT-10"
AIMED_AT = ("async_result_property", "result_of_success")


class Gateway(ReferenceGateway):
    def result_response(self, record: StoredRequest) -> Response:
        response = super().result_response(record)
        if 200 <= response.status_code < 300:
            response.status_code = 203
        return response
