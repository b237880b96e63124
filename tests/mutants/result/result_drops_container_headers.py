"""Mutant: a stored result keeps only the container's Content-Type; its
other response headers are dropped.

Breaks GW-RESULT-08 (SHOULD: custom container response headers are kept).
Realistic: storing `(status, content_type, body)` as the result record is
the obvious schema; headers such as a model version or token counts are
lost on the way.
"""

from __future__ import annotations

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredRequest

BREAKS = "GW-RESULT-08"
AIMED_AT = ("result_of_success", "async_result_property")


class Gateway(ReferenceGateway):
    def result_headers(self, record: StoredRequest) -> list[tuple[bytes, bytes]]:
        return [(name, value) for name, value in super().result_headers(record) if name == b"content-type"]
