"""Mutant: only an allow-list of request headers is forwarded to the container
(Content-Type, Accept, Authorization, Prefer, ...); custom `X-*` headers are dropped.

Breaks GW-SYNC-03 (SHOULD: custom request headers reach the container).
Realistic: security-minded gateways forward a fixed set of "known" headers
and silently drop the rest, including the X- headers clients use for
tracing or model options.
"""

from __future__ import annotations

from starlette.requests import Request

from conformance.contract.prefer import Mode
from conformance.reference import ReferenceGateway

BREAKS = "GW-SYNC-03"
AIMED_AT = ("other_methods_headers_and_large_bodies", "sync_relay_property")

ALLOWED = frozenset({b"content-type", b"content-encoding", b"accept", b"accept-encoding", b"authorization",
                     b"prefer", b"user-agent"})


class Gateway(ReferenceGateway):
    def forward_headers(self, request: Request, mode: Mode) -> list[tuple[bytes, bytes]]:
        return [(name, value) for name, value in super().forward_headers(request, mode) if name in ALLOWED]
