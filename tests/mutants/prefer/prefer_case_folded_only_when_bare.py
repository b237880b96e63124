"""Mutant: matches a Prefer value case-insensitively only when it is the whole
value with nothing around it; otherwise trims it, or parses the list, with
names compared case-sensitively.

`Respond-Async` and `  respond-async ` select respond-async, but
` Respond-Async` (case and whitespace together) or `Respond-Async, wait=1`
(case inside a list) are handled synchronously. Each hand-written probe
varies one thing at a time, so all of them pass; `prefer_property`
combines variations and shrinks to the smallest such combination.

Breaks GW-PREF-06 (names match case-insensitively). Its failing examples
combine case with a list or parameters too, which `prefer_property` also
counts against GW-PREF-07 (it cannot tell which of the two a gateway gets
wrong), so that may fail with it.
Realistic: three special cases grown one bug report at a time
(`value.lower() == token`, then `value.strip() == token`, then a list
parser) instead of one parser.
"""

from __future__ import annotations

from starlette.requests import Request

from conformance.contract import prefer
from conformance.contract.prefer import MODE_TOKENS, Mode
from conformance.reference import ReferenceGateway

BREAKS = "GW-PREF-06"
AIMED_AT = "prefer_property"
ALSO_FAILS = frozenset({"GW-PREF-07"})


class Gateway(ReferenceGateway):
    def select_mode(self, request: Request) -> Mode:
        lines = request.headers.getlist("prefer")
        for line in lines:
            if line.lower() in MODE_TOKENS:
                return MODE_TOKENS[line.lower()]
            if line.strip(" \t") in MODE_TOKENS:
                return MODE_TOKENS[line.strip(" \t")]
        for pref in prefer.parse(lines):
            if pref.name in MODE_TOKENS:  # as written: case-sensitive
                return MODE_TOKENS[pref.name]
        return Mode.SYNC
