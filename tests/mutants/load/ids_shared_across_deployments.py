"""Mutant: status and result routes find a request by its Id alone, in any
deployment, so an Id issued for one deployment is readable through
another deployment's routes.

Breaks GW-SEC-01 (SHOULD: an Id is bound to its deployment).
Realistic: one global `requests[id]` table; the deployment in the route is
used for routing only, so a team with access to one deployment can read
another team's results by Id.
"""

from __future__ import annotations

from starlette.requests import Request

from conformance.reference import ReferenceGateway
from conformance.reference.errors import GatewayError
from conformance.reference.store import StoredRequest

BREAKS = "GW-SEC-01"
AIMED_AT = "ids_bound_to_their_deployment"


class Gateway(ReferenceGateway):
    def find_record(self, request: Request) -> StoredRequest:
        inference_id = self.lookup_id(request)
        for name in self.deployments:
            record = self.store.get(name, inference_id)
            if record is not None:
                return record
        raise GatewayError(404, f"no request {inference_id!r}")
