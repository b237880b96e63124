"""Mutant: in respond-async-container mode the container gets the client's
Prefer header unchanged (`respond-async-container`) instead of `respond-async`.

Breaks GW-CONT-01 (the container gets Prefer: respond-async, and
respond-async-container does not reach it).
Realistic: the gateway passes the mode token through as it came; a
container that knows only respond-async then answers synchronously and the
client waits for the whole inference.
"""

from __future__ import annotations

from collections.abc import Sequence

from conformance.contract.prefer import Mode
from conformance.reference import ReferenceGateway

BREAKS = "GW-CONT-01"
AIMED_AT = ("container_answer_relayed", "container_relay_property")


class Gateway(ReferenceGateway):
    def container_prefer(self, values: Sequence[str], mode: Mode) -> list[str]:
        if mode is Mode.CONTAINER:
            return list(values)
        return super().container_prefer(values, mode)
