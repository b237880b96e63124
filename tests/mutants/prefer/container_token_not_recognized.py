"""Mutant: `respond-async-container` is not one of the gateway's modes.

The gateway knows `respond-async` and `respond-async-proxy` but not the
third token, so a request carrying it is handled as "any other value":
synchronously, with the token forwarded unchanged.

Breaks GW-PREF-01 (the three exact values select their modes).
Realistic: a gateway written before the provider added the container mode,
or one whose mode table simply misses an entry.
ALSO_FAILS: GW-PREF-05 and GW-PREF-06 each have a respond-async-container
case (the value wrapped in whitespace, the value in mixed case); a mode the
gateway does not know cannot be selected by any spelling of its token.
"""

from __future__ import annotations

from starlette.requests import Request

from conformance.contract.prefer import Mode
from conformance.reference import ReferenceGateway

BREAKS = "GW-PREF-01"
AIMED_AT = ("exact_values_select_modes", "prefer_property")
ALSO_FAILS = frozenset({"GW-PREF-05", "GW-PREF-06"})


class Gateway(ReferenceGateway):
    def select_mode(self, request: Request) -> Mode:
        mode = super().select_mode(request)
        return Mode.SYNC if mode is Mode.CONTAINER else mode
