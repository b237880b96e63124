"""Mutant: a result is deleted once it has been read; the next GET is 404.

Breaks GW-RESULT-03 (reading a result does not consume it: GET is safe).
Realistic: results kept in a queue-like store ("pop" on delivery) to save
memory; a client that retries a read after a network error loses the
result for good.
"""

from __future__ import annotations

from starlette.responses import Response

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredRequest

BREAKS = "GW-RESULT-03"
AIMED_AT = ("result_of_success", "result_of_failure", "stateful_model")


class Gateway(ReferenceGateway):
    def result_response(self, record: StoredRequest) -> Response:
        response = super().result_response(record)
        self.store.remove(record)
        return response
