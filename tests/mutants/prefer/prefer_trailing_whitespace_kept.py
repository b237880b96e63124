"""Mutant: the gateway trims whitespace only on the left of each Prefer
list element, so `respond-async  ` (trailing spaces or tab) is not recognised.

The HTTP server strips the leading whitespace of a field value but leaves
the trailing one, so the gateway sees `respond-async  `, handles it
synchronously and forwards it.

Breaks GW-PREF-05 (whitespace around the value is not significant).
Realistic: a hand-written split on "," and ";" with `lstrip()` written for
the space after a comma (`a, b`); nobody thought of trailing whitespace.
ALSO_FAILS: GW-PREF-07 and GW-PREF-09, the same hand-written split seen by
`prefer_property`: whitespace before a parameter's `;` (`respond-async ;q`,
which the grammar allows) is the same trailing whitespace, in a value with
parameters; and a split on "," that does not mind quotes finds a mode
inside a quoted-string (`x="a, respond-async; b"`).
"""

from __future__ import annotations

from starlette.requests import Request

from conformance.contract.prefer import MODE_TOKENS, Mode
from conformance.reference import ReferenceGateway

BREAKS = "GW-PREF-05"
ALSO_FAILS = frozenset({"GW-PREF-07", "GW-PREF-09"})
AIMED_AT = ("surrounding_whitespace_ignored", "prefer_property")


class Gateway(ReferenceGateway):
    def select_mode(self, request: Request) -> Mode:
        for line in request.headers.getlist("prefer"):
            for element in line.split(","):
                name = element.split(";")[0].lstrip().lower()
                if name in MODE_TOKENS:
                    return MODE_TOKENS[name]
        return Mode.SYNC
