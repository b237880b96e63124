"""Mutant: once a result has been read, the status route reports the request
as `Inference` again (the result route marks it "being delivered").

Statuses only move forward until somebody reads the result, and no
hand-written check reads a status after reading the result, so they pass;
`stateful_model` reads statuses and results in any order and sees
Completed -> Inference.

Breaks GW-STATUS-02 (statuses never go back; Completed is terminal).
Realistic: reusing the status field to track delivery ("Inference" as
"in progress") on the read path.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredRequest, Status

BREAKS = "GW-STATUS-02"
AIMED_AT = "stateful_model"


class Gateway(ReferenceGateway):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._delivered: set[str] = set()

    def result_response(self, record: StoredRequest) -> Response:
        self._delivered.add(record.id)
        return super().result_response(record)

    def status_document(self, record: StoredRequest) -> dict[str, Any]:
        document = super().status_document(record)
        if record.id in self._delivered:
            document["Status"] = self.encode_status(Status.INFERENCE)
        return document
