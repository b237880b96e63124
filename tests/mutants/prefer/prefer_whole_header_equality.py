"""Mutant: a mode is selected only when the first Prefer header, trimmed and
lower-cased, equals a mode token.

`respond-async, wait=10`, `respond-async; foo=bar` and a second Prefer line
carrying `respond-async` are handled synchronously.

Breaks GW-PREF-07 (SHOULD: a recognised value in a list, with parameters or
on a second header line selects its mode).
Realistic: `headers.get("prefer", "").strip().lower() == "respond-async"` is
the most common way a Prefer header is read.
ALSO_FAILS: GW-PREF-06. The generated examples of `prefer_property` that
combine a list or parameters with a name in mixed case (`RESPOND-ASYNC;wait`)
are counted against both SHOULDs: from one such value the suite cannot tell
which of the two a gateway gets wrong.
"""

from __future__ import annotations

from starlette.requests import Request

from conformance.contract.prefer import MODE_TOKENS, Mode
from conformance.reference import ReferenceGateway

BREAKS = "GW-PREF-07"
AIMED_AT = ("lists_and_parameters", "prefer_property")
ALSO_FAILS = frozenset({"GW-PREF-06"})


class Gateway(ReferenceGateway):
    def select_mode(self, request: Request) -> Mode:
        return MODE_TOKENS.get(request.headers.get("prefer", "").strip().lower(), Mode.SYNC)
