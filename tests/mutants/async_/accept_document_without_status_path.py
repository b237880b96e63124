"""Mutant: the 202 accept document has `Id` and `ResultPath` but no `StatusPath`.

Breaks GW-ASYNC-02 (non-empty string Id, StatusPath and ResultPath).
Realistic: the author thought the `Location` header and ResultPath enough
("poll the result until it is not 202") and left the status route out of
the document, so clients that follow StatusPath have nothing to follow.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredRequest

BREAKS = "GW-ASYNC-02"
AIMED_AT = ("submission_accepted", "async_result_property")


class Gateway(ReferenceGateway):
    def accept_document(self, record: StoredRequest, request: Request) -> dict[str, Any]:
        document = super().accept_document(record, request)
        del document["StatusPath"]
        return document

    def accept_headers(self, record: StoredRequest, document: dict[str, Any]) -> dict[str, str]:
        return {self.id_header: document["Id"], "Location": document["ResultPath"]}
