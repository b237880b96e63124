"""Mutant: Status is written as the enum member's name: `QUEUE`,
`INFERENCE`, `COMPLETED`.

Breaks GW-STATUS-01 (Status is exactly Initialized/Queue/Inference/Completed,
or 0-3).
Realistic: `status.name` of a Python enum is upper case; the provider's
client parses the exact spelling and fails on it.
"""

from __future__ import annotations

from conformance.reference import ReferenceGateway
from conformance.reference.store import Status

BREAKS = "GW-STATUS-01"
AIMED_AT = ("status_lifecycle", "async_result_property", "stateful_model", "schema_conformance")


class Gateway(ReferenceGateway):
    def encode_status(self, status: Status) -> str:
        return status.name
