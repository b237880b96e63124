"""Mutant: forwards the decoded path (`request.url.path`), percent-encoded
again only where a character may not stand as it is.

`/a%2Fb` reaches the container as `/a/b` (one segment became two),
`/x%3By` as `/x;y` and `/%2C` as `/,` (RFC 3986 §2.2: a reserved character and
its percent-encoding are not the same URI). Plain paths, and encodings of
unreserved characters (`%7E` for `~`, which normalization may decode), come
through as they should, so the hand-written checks (plain paths) pass; the
generated encoded paths of `sync_relay_property` catch it.

Breaks GW-SYNC-01 (the container gets the path of the request).
Also fails GW-SYNC-03 when the shrunk example uses PUT, PATCH or DELETE (the
same relay, judged under that SHOULD).
Realistic: building the upstream URL from the framework's decoded path is the
first thing a proxy written on a web framework does.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request

from conformance.reference import ReferenceGateway

BREAKS = "GW-SYNC-01"


class Gateway(ReferenceGateway):
    def container_target(self, request: Request) -> bytes:
        decoded = request.scope["path"]
        slash = decoded.find("/", 1)
        path = quote(decoded[slash:] if slash != -1 else "/", safe="/:@!$&'()*+,;=~")
        query = request.scope.get("query_string", b"")
        return path.encode("ascii") + (b"?" + query if query else b"")
