"""Legal variant: a container failure is told by the status object's
`Error` alone; the result answers `200` with the container's body.

GW-RESULT-02 allows either form of visibility (the result's status code,
or a non-empty Error), so only the SHOULD GW-RESULT-10 (exactly the
container's status code) fails. The gateway's own 502/504, when the
container could not be reached, keep their codes (GW-RESULT-09).
"""

from __future__ import annotations

import dataclasses

from starlette.responses import Response

from conformance.reference import ReferenceGateway
from conformance.reference.proxy import UpstreamError
from conformance.reference.store import StoredRequest, StoredResponse

LEGALLY_FAILS = frozenset({"GW-RESULT-10"})


class GatewayMade(StoredResponse):
    """A result the gateway made itself (no container answer to relay)."""


class Gateway(ReferenceGateway):
    def gateway_failure(self, error: UpstreamError) -> StoredResponse:
        made = super().gateway_failure(error)
        return GatewayMade(made.status_code, made.headers, made.body)

    def result_response(self, record: StoredRequest) -> Response:
        answer = record.response
        assert answer is not None
        if answer.status_code >= 400 and not isinstance(answer, GatewayMade):
            record = dataclasses.replace(record, response=dataclasses.replace(answer, status_code=200))
        return super().result_response(record)
