"""Mutant: in respond-async mode the container gets the client's Prefer
header unchanged, `respond-async` included.

Breaks GW-ASYNC-08 (SHOULD: respond-async is not passed on in this mode).
Realistic: a gateway that forwards every header as it came; a container
that understands respond-async then answers 202 at once and the gateway
stores that acknowledgement as the "result".
"""

from __future__ import annotations

from collections.abc import Sequence

from conformance.contract.prefer import Mode
from conformance.reference import ReferenceGateway

BREAKS = "GW-ASYNC-08"
AIMED_AT = "submission_accepted"


class Gateway(ReferenceGateway):
    def container_prefer(self, values: Sequence[str], mode: Mode) -> list[str]:
        if mode is Mode.ASYNC:
            return list(values)
        return super().container_prefer(values, mode)
