"""Legal variant: Status as the provider tutorial's integers 0-3.

Both encodings are legal (GW-STATUS-01); the provider's current client
parses only the names, so the SHOULD GW-STATUS-07 fails, and nothing else.
"""

from __future__ import annotations

from conformance.reference import ReferenceGateway
from conformance.reference.store import Status

LEGALLY_FAILS = frozenset({"GW-STATUS-07"})


class Gateway(ReferenceGateway):
    def encode_status(self, status: Status) -> int:
        return int(status)
