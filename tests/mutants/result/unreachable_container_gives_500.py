"""Mutant: when the container closes the connection or never answers, the
stored result is a `500` of the gateway's instead of a 502 or 504.

The request still completes with an Error, so the failure is visible.

Breaks GW-RESULT-09 (SHOULD: a gateway-made 502 or 504).
Realistic: a catch-all `except Exception: store(500, ...)` around the
container call; clients and dashboards can no longer tell "the model
server is down" from "the gateway has a bug".
"""

from __future__ import annotations

import dataclasses

from conformance.reference import ReferenceGateway
from conformance.reference.proxy import UpstreamError
from conformance.reference.store import StoredResponse

BREAKS = "GW-RESULT-09"
AIMED_AT = "result_when_container_fails_to_answer"


class Gateway(ReferenceGateway):
    def gateway_failure(self, error: UpstreamError) -> StoredResponse:
        return dataclasses.replace(super().gateway_failure(error), status_code=500)
