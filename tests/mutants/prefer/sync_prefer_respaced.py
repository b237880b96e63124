"""Mutant: in synchronous mode the gateway forwards `Prefer` re-spaced the
way it would write it: no whitespace around `=`, one space after `;` and
`,` (`wait = 5;  q` reaches the container as `wait=5; q`). Values holding a
quoted-string are left alone.

The values of the hand-written checks are written that way already, so
they pass; `prefer_property` generates the optional whitespace the grammar
allows (`token BWS "=" BWS word`, `OWS ";" OWS`) and sees the change.

Breaks GW-PREF-03 (any other value reaches the container byte for byte).
Realistic: a gateway that parses Prefer to act on it and forwards what it
parsed, serialised again, instead of the client's bytes.
ALSO_FAILS: GW-PREF-04. Generated values that mention a mode
(`wait;respond`) are re-spaced the same way, and a value that mentions a
mode and selects nothing is GW-PREF-04's.
"""

from __future__ import annotations

import re

from starlette.requests import Request

from conformance.contract.prefer import Mode
from conformance.reference import ReferenceGateway

BREAKS = "GW-PREF-03"
ALSO_FAILS = frozenset({"GW-PREF-04"})
AIMED_AT = "prefer_property"

_EQUALS = re.compile(r"[ \t]*=[ \t]*")
_SEPARATOR = re.compile(r"[ \t]*([;,])[ \t]*")


def respaced(line: str) -> str:
    if '"' in line:
        return line
    return _SEPARATOR.sub(r"\1 ", _EQUALS.sub("=", line)).strip(" \t")


class Gateway(ReferenceGateway):
    def forward_headers(self, request: Request, mode: Mode) -> list[tuple[bytes, bytes]]:
        headers = super().forward_headers(request, mode)
        if mode is not Mode.SYNC:
            return headers
        return [(name, respaced(value.decode("latin-1")).encode("latin-1") if name == b"prefer" else value)
                for name, value in headers]
