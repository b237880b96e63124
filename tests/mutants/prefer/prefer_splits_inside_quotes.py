"""Mutant: reads the Prefer list by splitting on every comma, quotes or not,
and takes the word before the first `;` or `=` of each piece as a
preference name.

`foo="a, respond-async; b"` then selects respond-async, and
`x; p="b, respond-async-proxy; c"` respond-async-proxy, although the mode name
is only text inside a quoted string (RFC 7240 §2: a quoted-string is one
word). Every value without quotes is read right.

Breaks GW-PREF-09 (SHOULD: recognition follows the RFC 7240 grammar), and
nothing else: the MUSTs (GW-PREF-01..05) are judged on values without
quoted-strings, because this is what tests/legal/starlette_gateway.py and
many real gateways do without breaking a real client.
`grammar_decides_recognition` sends `wait="a, respond-async"`;
`prefer_property` generates modes inside quoted strings and, because the
plain twin of such a value passes, fails GW-PREF-09, not GW-PREF-04.
Realistic: `header.split(",")` is the usual quick way to read a list
header, and quoted values are rare enough that nobody notices.
"""

from __future__ import annotations

from starlette.requests import Request

from conformance.contract.prefer import MODE_TOKENS, Mode
from conformance.reference import ReferenceGateway

BREAKS = "GW-PREF-09"
AIMED_AT = ("grammar_decides_recognition", "prefer_property")


class Gateway(ReferenceGateway):
    def select_mode(self, request: Request) -> Mode:
        for line in request.headers.getlist("prefer"):
            for element in line.split(","):  # commas inside quoted strings split too
                name = element.split(";", 1)[0].split("=", 1)[0].strip(" \t").lower()
                if name in MODE_TOKENS:
                    return MODE_TOKENS[name]
        return Mode.SYNC
