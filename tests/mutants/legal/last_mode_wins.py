"""Legal variant (GW-PREF-08): with two recognised values in one request
(`respond-async, respond-async-proxy`) the last one wins, instead of the
reference's first.

The contract leaves this open, so every MUST and SHOULD passes and only
the INFO observation changes (OBSERVES).
"""

from __future__ import annotations

from starlette.requests import Request

from conformance.contract import prefer
from conformance.contract.prefer import MODE_TOKENS, Mode
from conformance.reference import ReferenceGateway

LEGALLY_FAILS: frozenset[str] = frozenset()
OBSERVES = {"GW-PREF-08": "was handled as respond-async-proxy"}


class Gateway(ReferenceGateway):
    def select_mode(self, request: Request) -> Mode:
        modes = [MODE_TOKENS[p.key] for p in prefer.parse(request.headers.getlist("prefer")) if p.key in MODE_TOKENS]
        return modes[-1] if modes else Mode.SYNC
