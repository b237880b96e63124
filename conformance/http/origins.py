"""Where the run's credentials may go: the gateway's own origins, and the hosts the user allows.

A gateway names its status and result routes itself (StatusPath and
ResultPath may be absolute URLs), so a hostile or broken one could send the
suite, with the run's `-H` headers, anywhere: `http://169.254.169.254/...`
would receive the bearer token and its answer would land in the report.

The rule (RFC 6454 origins: scheme, host and port):
- the run's headers go only to the origins of the URLs the user gave as the
  gateway (`--gateway`, `--other-gateway`);
- a URL on any other origin is followed, without those headers, only when
  the user allows its host (`--allow-origin HOST`, repeatable);
- anything else is not requested at all.

An `--allow-origin` entry is `HOST` (that host on any port and scheme),
`HOST:PORT`, or an origin `SCHEME://HOST[:PORT]`. The same host on another
port is another origin, so a gateway serving its status routes on a second
port needs the allowance too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["Origin", "origin_of", "AllowedOrigin", "parse_allowed", "OriginPolicy", "OriginError"]

DEFAULT_PORTS = {"http": 80, "https": 443}


class OriginError(ValueError):
    """An --allow-origin entry that names no host; the message says which."""


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = DEFAULT_PORTS.get(self.scheme)
        return f"{self.scheme}://{host}" + ("" if self.port == default else f":{self.port}")

    @property
    def host_port(self) -> str:
        """`host:port`, as `--allow-origin` takes it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def origin_of(url: str) -> Origin | None:
    """The origin of an absolute http(s) URL; None for anything else (no scheme, no host, a bad port)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return Origin(scheme, parts.hostname.lower().rstrip("."), port if port is not None else DEFAULT_PORTS[scheme])


@dataclass(frozen=True)
class AllowedOrigin:
    """One --allow-origin entry: a host, with a port and a scheme when given."""

    host: str
    port: int | None = None
    scheme: str | None = None

    def matches(self, origin: Origin) -> bool:
        return (origin.host == self.host and (self.port is None or origin.port == self.port)
                and (self.scheme is None or origin.scheme == self.scheme))

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        text = host if self.port is None else f"{host}:{self.port}"
        return f"{self.scheme}://{text}" if self.scheme else text


def parse_allowed(text: str) -> AllowedOrigin:
    """`HOST`, `HOST:PORT` or `SCHEME://HOST[:PORT]` -> AllowedOrigin; OriginError says what is wrong."""
    entry = text.strip()
    if not entry:
        raise OriginError("--allow-origin: empty; give HOST, HOST:PORT or SCHEME://HOST[:PORT]")
    if "://" in entry:
        origin = origin_of(entry)
        rest = urlsplit(entry)
        if origin is None or rest.path not in ("", "/") or rest.query or rest.fragment or "@" in rest.netloc:
            raise OriginError(f"--allow-origin {text!r}: an origin is SCHEME://HOST[:PORT] with http or https, "
                              "no path, no credentials")
        explicit = rest.port is not None
        return AllowedOrigin(origin.host, origin.port if explicit else DEFAULT_PORTS[origin.scheme], origin.scheme)
    try:
        parts = urlsplit(f"//{entry}")
        port = parts.port
    except ValueError:
        raise OriginError(f"--allow-origin {text!r}: the port must be a number from 0 to 65535") from None
    if not parts.hostname or parts.path or parts.query or parts.fragment or "@" in parts.netloc:
        raise OriginError(f"--allow-origin {text!r}: give HOST, HOST:PORT or SCHEME://HOST[:PORT]")
    return AllowedOrigin(parts.hostname.lower().rstrip("."), port)


@dataclass(frozen=True)
class OriginPolicy:
    """The gateway's own origins (they get the run's headers) and the other hosts the user allows."""

    own: frozenset[Origin]
    allowed: tuple[AllowedOrigin, ...] = ()

    @classmethod
    def of(cls, gateways: Iterable[str | None], allowed: Iterable[str | AllowedOrigin] = ()) -> "OriginPolicy":
        own = frozenset(origin for origin in (origin_of(url) for url in gateways if url) if origin is not None)
        entries = tuple(entry if isinstance(entry, AllowedOrigin) else parse_allowed(entry) for entry in allowed)
        return cls(own, entries)

    def is_own(self, url: str) -> bool:
        """The run's headers may go to `url`."""
        return origin_of(url) in self.own

    def may_follow(self, url: str) -> bool:
        """`url` may be requested at all (with the run's headers when it is the gateway's own)."""
        origin = origin_of(url)
        return origin is not None and (origin in self.own or any(entry.matches(origin) for entry in self.allowed))

    def refusal(self, url: str, field: str) -> str | None:
        """Why `url` (named by the gateway as `field`) is not followed, or None when it may be."""
        if self.may_follow(url):
            return None
        origin = origin_of(url)
        own = ", ".join(sorted(str(o) for o in self.own)) or "none"
        if origin is None:
            return f"{field} resolves to {url!r}, which is no http(s) URL the suite can follow"
        return (f"{field} resolves to {url!r}, on origin {origin}, not the gateway's ({own}): the suite sends the "
                f"run's headers (credentials) only to the gateway's origin and follows another origin only when "
                f"allowed; if {origin} is part of your gateway, pass --allow-origin {origin.host_port} (it is then "
                f"followed without the run's headers)")
