"""Where an inference request goes: its route, and which paths may leave the gateway.

A deployment's container gets the path after the deployment segment as the
client wrote it (GW-SYNC-05: `%2F` stays `%2F`). Two things keep that path
inside the deployment and reachable at all: the route matches any decoded
path, control characters included, and a path whose `..` segments would
climb above the deployment's root is refused, however it is spelled.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from starlette.routing import Route

__all__ = ["AnyPathRoute", "climbs_out", "shown"]

_SEPARATORS = re.compile(r"[/\\]")


class AnyPathRoute(Route):
    """A Route whose `{name:path}` also matches newlines and other control characters.

    Starlette compiles `{path:path}` to `.*`, which stops at a newline, so
    `/mock/a%0Ab` (a newline once decoded) would be a 404 instead of reaching
    the container as `/a%0Ab`.
    """

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.path_regex = re.compile(self.path_regex.pattern, re.DOTALL)


def _climbs(segments: Iterable[str]) -> bool:
    depth = 0
    for segment in segments:
        if segment == "..":
            depth -= 1
            if depth < 0:
                return True
        elif segment not in ("", "."):  # empty segments count for nothing: servers may merge slashes
            depth += 1
    return False


def climbs_out(path: bytes) -> bool:
    """Whether `..` segments of `path` (raw, starting with '/') climb above its root.

    Two readings are checked, as the container or a proxy in front of it may
    take either: RFC 3986 (segments split at '/', then `%2E%2E` is `..`), and
    the whole path percent-decoded once with '/' and '\\' both separators and
    `;params` cut off a segment (so `..%2F..`, `..%5C` and `..;x` count too).
    A path that climbs under neither is forwarded as written.
    """
    text = path.decode("latin-1")
    as_written = (unquote(segment, encoding="latin-1") for segment in text.split("/")[1:])
    decoded = unquote(text, encoding="latin-1")
    loosely = (segment.split(";", 1)[0] for segment in _SEPARATORS.split(decoded)[1:])
    return _climbs(as_written) or _climbs(loosely)


def shown(raw: bytes, limit: int = 200) -> str:
    """A raw path fit for an error message: as sent, cut to `limit` characters."""
    text = raw.decode("latin-1")
    return text if len(text) <= limit else text[:limit] + "..."
