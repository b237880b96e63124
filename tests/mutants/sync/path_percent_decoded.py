"""Mutant: forwards the decoded path (`request.url.path`), percent-encoded
again only where a character may not stand as it is.

`/a%2Fb` reaches the container as `/a/b` (one segment became two),
`/x%3By` as `/x;y` and `/%2C` as `/,` (RFC 3986 §2.2: a reserved character and
its percent-encoding are not the same URI). Plain paths, encodings of
unreserved characters (`%7E` for `~`, which normalization may decode) and
of non-ASCII text come through as they should.

Breaks GW-SYNC-05 (SHOULD: percent-encoded octets reach the container as
sent), and nothing else: it is what Starlette's decoded path parameter and
nginx's `proxy_pass http://upstream/;` do, and the contract judges the MUSTs
(GW-SYNC-01, GW-ASYNC-07, GW-CONT-01...) only on paths without encoded
reserved characters. `path_reaches_container_as_sent` sends `%2F`;
`sync_relay_property` finds it among generated paths and, because the same
request with a plain path passes, fails GW-SYNC-05, not GW-SYNC-01.
Realistic: building the upstream URL from the framework's decoded path is the
first thing a proxy written on a web framework does.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request

from conformance.reference import ReferenceGateway

BREAKS = "GW-SYNC-05"
AIMED_AT = ("path_reaches_container_as_sent", "sync_relay_property")


class Gateway(ReferenceGateway):
    def container_target(self, request: Request) -> bytes:
        decoded = request.scope["path"]
        slash = decoded.find("/", 1)
        path = quote(decoded[slash:] if slash != -1 else "/", safe="/:@!$&'()*+,;=~")
        query = request.scope.get("query_string", b"")
        return path.encode("ascii") + (b"?" + query if query else b"")
