"""Mutant: reads the Prefer list by splitting on every comma, quotes or not,
and takes the word before the first `;` or `=` of each piece as a
preference name.

`foo="a, respond-async; b"` then selects respond-async, and
`x; p="b, respond-async-proxy; c"` respond-async-proxy, although the mode name
is only text inside a quoted string (RFC 7240 §2: a quoted-string is one
word). Every value without quotes is read right, so the hand-written probes
(none quotes a mode name) all pass; the generated near misses of
`prefer_property` (modes spelled inside quoted strings) catch it.

Breaks GW-PREF-04 (no substring matching: a value that only mentions a mode
is synchronous and forwarded unchanged).
Realistic: `header.split(",")` is the usual quick way to read a list
header, and quoted values are rare enough that nobody notices.
"""

from __future__ import annotations

from starlette.requests import Request

from conformance.contract.prefer import MODE_TOKENS, Mode
from conformance.reference import ReferenceGateway

BREAKS = "GW-PREF-04"


class Gateway(ReferenceGateway):
    def select_mode(self, request: Request) -> Mode:
        for line in request.headers.getlist("prefer"):
            for element in line.split(","):  # commas inside quoted strings split too
                name = element.split(";", 1)[0].split("=", 1)[0].strip(" \t").lower()
                if name in MODE_TOKENS:
                    return MODE_TOKENS[name]
        return Mode.SYNC
