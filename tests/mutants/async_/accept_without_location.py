"""Mutant: the respond-async 202 carries no `Location` header.

Everything else (body, X-Inference-Id, status and result routes) is the
reference's, so only the accept's headers show it. Breaks GW-ASYNC-04.
"""

from __future__ import annotations

from typing import Any

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredRequest

BREAKS = "GW-ASYNC-04"
AIMED_AT = ("submission_accepted", "schema_conformance")


class Gateway(ReferenceGateway):
    def accept_headers(self, record: StoredRequest, document: dict[str, Any]) -> dict[str, str]:
        headers = super().accept_headers(record, document)
        headers.pop("Location")
        return headers
