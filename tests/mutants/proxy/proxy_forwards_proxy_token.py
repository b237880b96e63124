"""Mutant: in respond-async-proxy mode the container gets the client's
Prefer header unchanged (`respond-async-proxy`) instead of `respond-async`.

Breaks GW-PROXY-03 (the container gets Prefer: respond-async, and
respond-async-proxy does not reach it).
Realistic: the gateway forwards every header as it came and never rewrites
the mode token; a container that knows only respond-async then works
synchronously and never starts its background work.
"""

from __future__ import annotations

from collections.abc import Sequence

from conformance.contract.prefer import Mode
from conformance.reference import ReferenceGateway

BREAKS = "GW-PROXY-03"
AIMED_AT = ("fire_and_forget", "stateful_model")


class Gateway(ReferenceGateway):
    def container_prefer(self, values: Sequence[str], mode: Mode) -> list[str]:
        if mode is Mode.PROXY:
            return list(values)
        return super().container_prefer(values, mode)
