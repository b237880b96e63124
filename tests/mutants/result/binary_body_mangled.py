"""Mutant: the result route hands the stored body to the framework as text:
it is decoded as UTF-8 (bad bytes replaced) and encoded again, so binary
answers come back altered while text and JSON answers are unharmed.

Breaks GW-RESULT-01 (the result gives the container's body bytes, binary included).
Realistic: `Response(content=body.decode(errors="replace"))`, or a result
store with a text column; every JSON test passes, the first image or audio
answer is corrupt.
ALSO_FAILS: GW-RESULT-02. A failure's body goes through the same route and
must be kept too; a generated failure with a non-UTF-8 body fails it.
"""

from __future__ import annotations

from starlette.responses import Response

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredRequest

BREAKS = "GW-RESULT-01"
AIMED_AT = ("result_of_success", "async_result_property")
ALSO_FAILS = frozenset({"GW-RESULT-02"})


class Gateway(ReferenceGateway):
    def result_response(self, record: StoredRequest) -> Response:
        assert record.response is not None
        text = record.response.body.decode("utf-8", "replace")
        response = Response(text, status_code=record.response.status_code)
        response.raw_headers = self.result_headers(record) + response.raw_headers
        return response
