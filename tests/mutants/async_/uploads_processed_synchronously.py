"""Mutant: a submission whose Content-Type is `application/octet-stream`
is relayed synchronously whatever its `Prefer` says: uploads are "streamed
straight through", only API calls may go asynchronous.

JSON submissions are accepted as they should be, so the hand-written
checks (JSON bodies) pass; the generated submissions of the schema stage
and of `async_result_property` carry octet-stream bodies too and get the
container's answer instead of a 202.

Breaks GW-ASYNC-01 (respond-async is answered 202).
Realistic: a gateway that special-cases large binary uploads on a fast path
that skips the job queue, and forgets that `Prefer` applies to them too.
"""

from __future__ import annotations

from starlette.requests import Request

from conformance.contract.prefer import Mode
from conformance.reference import ReferenceGateway

BREAKS = "GW-ASYNC-01"
AIMED_AT = ("async_result_property", "schema_conformance")


class Gateway(ReferenceGateway):
    def select_mode(self, request: Request) -> Mode:
        if request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/octet-stream":
            return Mode.SYNC
        return super().select_mode(request)
