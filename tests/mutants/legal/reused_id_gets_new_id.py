"""Legal variant (GW-ASYNC-11): a submission reusing a client-supplied
`X-Inference-Id` that is still in use is accepted under a new, gateway-made
Id, instead of the reference's 409.

The contract leaves this open, so every MUST and SHOULD passes and only
the INFO observation changes (OBSERVES).
"""

from __future__ import annotations

from starlette.requests import Request

from conformance.reference import ReferenceGateway

LEGALLY_FAILS: frozenset[str] = frozenset()
OBSERVES = {"GW-ASYNC-11": "accepted it under a new Id"}


class Gateway(ReferenceGateway):
    def submission_id(self, request: Request) -> str:
        wanted = super().submission_id(request)
        in_use = self.store.get(request.path_params["deployment"], wanted) is not None
        return self.new_id() if in_use else wanted
