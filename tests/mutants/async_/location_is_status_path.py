"""Mutant: the 202's `Location` header points at StatusPath, not ResultPath.

Breaks GW-ASYNC-04 (Location equals ResultPath).
Realistic: RFC 7240's own respond-async example answers 202 with a Location
of a *status monitor*, so a gateway written from the RFC points Location at
the status route; the provider's layout points it at the result.
"""

from __future__ import annotations

from typing import Any

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredRequest

BREAKS = "GW-ASYNC-04"
AIMED_AT = ("submission_accepted", "schema_conformance")


class Gateway(ReferenceGateway):
    def accept_headers(self, record: StoredRequest, document: dict[str, Any]) -> dict[str, str]:
        return {self.id_header: document["Id"], "Location": document["StatusPath"]}
