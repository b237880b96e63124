"""Mutant: the status object carries `Error` only once something failed;
while all is well the field is left out instead of being `null`.

Breaks GW-STATUS-08 (SHOULD: `Error` is null while nothing has failed):
`status_lifecycle` reads statuses of a request that succeeds. Failures
still carry their text, so `result_of_failure` passes.
Realistic: serializers that skip None fields (`exclude_none=True`).
"""

from __future__ import annotations

from typing import Any

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredRequest

BREAKS = "GW-STATUS-08"
AIMED_AT = "status_lifecycle"


class Gateway(ReferenceGateway):
    def status_document(self, record: StoredRequest) -> dict[str, Any]:
        document = super().status_document(record)
        if document.get("Error") is None:
            del document["Error"]
        return document
