"""Mutant: in synchronous mode the gateway removes the `wait` preference
before forwarding (and drops a Prefer line that is left empty).

Breaks GW-PREF-03 (any other value is forwarded byte for byte): the
container gets no `Prefer: wait=5`.
Realistic: RFC 7240's `wait` is a preference a server may honour itself, so
a gateway author decides it is the gateway's to consume, as it does with
the three mode tokens, and strips a well-formed `wait=<seconds>` on the way
to the container.
"""

from __future__ import annotations

from starlette.requests import Request

from conformance.contract import prefer
from conformance.contract.prefer import Mode
from conformance.reference import ReferenceGateway

BREAKS = "GW-PREF-03"
AIMED_AT = "other_values_are_sync"


def _is_wait(element: str) -> bool:
    """A `wait=<seconds>` preference: the one the gateway acts on (other values are left alone)."""
    return any(p.key == "wait" and (p.value or "").isdigit() for p in prefer.parse(element))


def without_wait(line: bytes) -> bytes | None:
    """The line less its `wait` elements; None when nothing is left of it."""
    elements = line.decode("latin-1").split(",")
    kept = [element.strip() for element in elements if not _is_wait(element)]
    if len(kept) == len(elements):
        return line
    return ", ".join(e for e in kept if e).encode("latin-1") or None


class Gateway(ReferenceGateway):
    def forward_headers(self, request: Request, mode: Mode) -> list[tuple[bytes, bytes]]:
        headers = super().forward_headers(request, mode)
        if mode is not Mode.SYNC:
            return headers
        out = []
        for name, value in headers:
            if name == b"prefer":
                value = without_wait(value)
                if value is None:
                    continue
            out.append((name, value))
        return out
