"""Mutant: the result route has a response cache keyed by a weak validator
of the stored answer, status + Content-Type + Content-Length + Date
(one-second resolution), instead of the bytes or the Id. Two different
answers with the same status, type and length from the same second share
one cache entry: the later reader gets the earlier one's answer.

Breaks GW-RESULT-05 (isolation: every result is the answer to its own
submission). Only many concurrent answers of one shape (the container's
echo of N distinct bodies) collide; answers that differ in status, type or
length, or come a second apart, are kept apart.
Realistic: caching by a validator the way HTTP caches do, with the
validator made from metadata to avoid hashing bodies (Apache's old
size-and-mtime ETag is the same mistake).
ALSO_FAILS: GW-RESULT-01 and GW-RESULT-08. A crossed result is also not the
container's answer to that request, nor does it carry that answer's
headers; the generated answers of `async_result_property` (many of one
status, type and length, e.g. empty bodies with distinct headers, within a
second) cross too and fail those.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.responses import Response

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredRequest, StoredResponse

BREAKS = "GW-RESULT-05"
AIMED_AT = "results_isolated"
ALSO_FAILS = frozenset({"GW-RESULT-01", "GW-RESULT-08"})


def weak_validator(response: StoredResponse) -> tuple[Any, ...]:
    headers = dict(response.headers)
    return response.status_code, headers.get(b"content-type"), len(response.body), headers.get(b"date")


class Gateway(ReferenceGateway):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cache: dict[tuple[Any, ...], StoredResponse] = {}

    def result_response(self, record: StoredRequest) -> Response:
        assert record.response is not None
        cached = self._cache.setdefault(weak_validator(record.response), record.response)
        return super().result_response(dataclasses.replace(record, response=cached))
