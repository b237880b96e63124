"""Mutant: a request without a `Prefer` header is handled as respond-async.

Breaks GW-PREF-02 (no Prefer header: synchronous).
Realistic: a gateway put in front of deployments that are "async only"
makes respond-async its default and only looks at Prefer to pick another
mode, so a plain synchronous client gets a 202 it never asked for.
"""

from __future__ import annotations

from starlette.requests import Request

from conformance.contract.prefer import Mode
from conformance.reference import ReferenceGateway

BREAKS = "GW-PREF-02"
AIMED_AT = ("no_prefer_is_sync", "prefer_property")


class Gateway(ReferenceGateway):
    def select_mode(self, request: Request) -> Mode:
        if not request.headers.getlist("prefer"):
            return Mode.ASYNC
        return super().select_mode(request)
