"""Mutant: in synchronous mode the query string is rebuilt from its parsed
pairs, and pairs with an empty value are lost (`?a=1&empty=` -> `?a=1`).

Breaks GW-SYNC-01 (the container gets the query of the request).
Realistic: `urlencode(parse_qsl(query))` looks harmless, but `parse_qsl`
drops blank values unless told `keep_blank_values=True`.
ALSO_FAILS: GW-SYNC-03. PUT, PATCH and DELETE go through the same relay, and
"forwarded the same way" for them is that SHOULD; a generated example with
one of those methods and a blank query value fails it too.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request

from conformance.contract.prefer import Mode
from conformance.reference import ReferenceGateway
from conformance.reference.config import Deployment
from conformance.reference.proxy import ForwardRequest

BREAKS = "GW-SYNC-01"
AIMED_AT = ("request_reaches_container_unchanged", "sync_relay_property")
ALSO_FAILS = frozenset({"GW-SYNC-03"})


class Gateway(ReferenceGateway):
    async def forward_request(self, request: Request, deployment: Deployment, mode: Mode) -> ForwardRequest:
        forward = await super().forward_request(request, deployment, mode)
        if mode is not Mode.SYNC or b"?" not in forward.target:
            return forward
        path, _, query = forward.target.partition(b"?")
        rebuilt = urlencode(parse_qsl(query.decode("latin-1"))).encode("ascii")
        target = path + b"?" + rebuilt if rebuilt else path
        return ForwardRequest(forward.method, target, forward.headers, forward.body)
