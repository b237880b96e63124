"""Mutant: the status object is `{"Status", "Error"}`, without `Id`.

Breaks GW-STATUS-06 (SHOULD: the status object carries Id).
Realistic: the Id is "already in the request header", so the author left
it out of the body; clients that log or correlate by the body lose it.
"""

from __future__ import annotations

from typing import Any

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredRequest

BREAKS = "GW-STATUS-06"
AIMED_AT = "status_lifecycle"


class Gateway(ReferenceGateway):
    def status_document(self, record: StoredRequest) -> dict[str, Any]:
        document = super().status_document(record)
        del document["Id"]
        return document
