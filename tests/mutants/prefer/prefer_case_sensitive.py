"""Mutant: Prefer names are compared case-sensitively.

`Respond-Async`, `RESPOND-ASYNC-PROXY` and `Respond-Async-Container` are
handled synchronously.

Breaks GW-PREF-06 (SHOULD: names match case-insensitively, RFC 7240 §2).
Realistic: the parsed name is compared as written instead of lower-cased,
which every test written with the lower-case values misses.
"""

from __future__ import annotations

from starlette.requests import Request

from conformance.contract import prefer
from conformance.contract.prefer import MODE_TOKENS, Mode
from conformance.reference import ReferenceGateway

BREAKS = "GW-PREF-06"
AIMED_AT = ("names_match_case_insensitively", "prefer_property")


class Gateway(ReferenceGateway):
    def select_mode(self, request: Request) -> Mode:
        for pref in prefer.parse(request.headers.getlist("prefer")):
            if pref.name in MODE_TOKENS:
                return MODE_TOKENS[pref.name]
        return Mode.SYNC
