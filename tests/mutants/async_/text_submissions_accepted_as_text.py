"""Mutant: the 202 answers in the submission's own media type: a `text/*`
submission gets its accept document as `text/plain` lines
(`Id=...`, `StatusPath=...`, `ResultPath=...`), with the right
X-Inference-Id and Location headers.

JSON submissions get the JSON document, so the hand-written
`submission_accepted` passes; the generated `text/plain` submissions of the
schema stage catch it (`async_result_property` would too, when it draws one).

Breaks GW-ASYNC-02 (the 202 body is a JSON object with Id, StatusPath and ResultPath).
Realistic: answering in "the format the client speaks", read from
Content-Type because the client sent no Accept.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredRequest

BREAKS = "GW-ASYNC-02"
AIMED_AT = "schema_conformance"


class Gateway(ReferenceGateway):
    def accept_response(self, record: StoredRequest, request: Request) -> Response:
        if not request.headers.get("content-type", "").lower().startswith("text/"):
            return super().accept_response(record, request)
        document = self.accept_document(record, request)
        text = "".join(f"{name}={value}\n" for name, value in document.items())
        return PlainTextResponse(text, status_code=202, headers=self.accept_headers(record, document))
