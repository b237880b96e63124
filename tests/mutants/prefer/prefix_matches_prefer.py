"""Mutant: a Prefer name selects a mode when it *starts with* a mode token.

`respond-asyncx` and `respond-async-` select respond-async,
`respond-async-proxyx` selects respond-async-proxy and
`respond-async-containers` selects respond-async-container.

Breaks GW-PREF-04 (near misses are other values: no prefix matching).
Realistic: `name.startswith("respond-async")` checks, longest token first so
that the three exact values still work, are a common shortcut.
"""

from __future__ import annotations

from starlette.requests import Request

from conformance.contract import prefer
from conformance.contract.prefer import Mode
from conformance.reference import ReferenceGateway

BREAKS = "GW-PREF-04"
AIMED_AT = ("near_misses_are_sync", "prefer_property")

#: longest first, so the exact values still select their own modes
_BY_PREFIX = (Mode.CONTAINER, Mode.PROXY, Mode.ASYNC)


class Gateway(ReferenceGateway):
    def select_mode(self, request: Request) -> Mode:
        for pref in prefer.parse(request.headers.getlist("prefer")):
            for mode in _BY_PREFIX:
                if pref.key.startswith(mode.value):
                    return mode
        return Mode.SYNC
