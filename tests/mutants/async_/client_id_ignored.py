"""Mutant: a client-supplied `X-Inference-Id` is ignored; every submission
gets a gateway-made Id.

Breaks GW-ASYNC-10 (SHOULD: a client-supplied X-Inference-Id becomes the Id).
Realistic: the gateway was written from the accept document alone; the
provider's tutorial, where the client picks its own id, was not read.
"""

from __future__ import annotations

from starlette.requests import Request

from conformance.reference import ReferenceGateway

BREAKS = "GW-ASYNC-10"
AIMED_AT = "client_supplied_id"


class Gateway(ReferenceGateway):
    def submission_id(self, request: Request) -> str:
        return self.new_id()
