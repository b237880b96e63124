"""Mutant: merges runs of slashes in the container path (`/v1//empty` ->
`/v1/empty`), as nginx does with `merge_slashes on` (its default), and
forwards every other byte of the path as the client wrote it.

Breaks GW-SYNC-05 (SHOULD: empty path segments reach the container as
sent), and nothing else: the MUSTs are judged on paths without empty
segments. `path_reaches_container_as_sent` sends `//`; `sync_relay_property`
generates empty segments among GW-SYNC-05's edges.
Realistic: "normalising" paths before routing them is a default of more
than one reverse proxy.
"""

from __future__ import annotations

import re

from starlette.requests import Request

from conformance.reference import ReferenceGateway

BREAKS = "GW-SYNC-05"
AIMED_AT = ("path_reaches_container_as_sent", "sync_relay_property")


class Gateway(ReferenceGateway):
    def container_target(self, request: Request) -> bytes:
        target = super().container_target(request)
        path, question, query = target.partition(b"?")
        return re.sub(rb"/{2,}", b"/", path) + question + query
