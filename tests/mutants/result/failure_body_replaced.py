"""Mutant: when the container failed, the result keeps its status code but
the body is the gateway's own `{"error": ...}` document instead of the
container's answer.

Breaks GW-RESULT-02 (a failure stays visible and its body is kept).
Realistic: a uniform error format for "everything the gateway returns",
which throws away the model server's own explanation of what went wrong.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredRequest

BREAKS = "GW-RESULT-02"
AIMED_AT = ("result_of_failure", "async_result_property")


class Gateway(ReferenceGateway):
    def result_response(self, record: StoredRequest) -> Response:
        assert record.response is not None
        if record.response.status_code < 400:
            return super().result_response(record)
        return JSONResponse({"error": record.error or "inference failed"}, status_code=record.response.status_code)
