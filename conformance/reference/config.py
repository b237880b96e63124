"""Everything the reference gateway can be told, in one dataclass.

The command line (command.py) builds a `GatewayConfig`; tests and embedders
can build one directly. Defaults are sized for the contract's timing
(N = 32 concurrent submissions finishing within D + 5 s) with room to spare,
and every limit is finite: the gateway never grows without bound.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = [
    "Deployment",
    "GatewayConfig",
    "StatusEncoding",
    "ConfigError",
    "parse_deployment",
    "public_url",
    "RESERVED_NAMES",
]

#: First path segments the gateway answers itself; no deployment may take them.
RESERVED_NAMES = frozenset({"status", "result", "health"})

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,62}")

MiB = 1024 * 1024

#: Bodies up to this size do not count against `max_uploads`: the server already
#: buffers up to 64 KiB of an unread body per connection (uvicorn's high-water mark),
#: so small requests under load are never refused for what they cannot cost.
UPLOAD_THRESHOLD = 64 * 1024


class ConfigError(ValueError):
    """A setting that cannot work; the message names it."""


class StatusEncoding(str, enum.Enum):
    """How `Status` is written: both forms are legal (GW-STATUS-01)."""

    NAMES = "names"  # "Initialized" .. "Completed": what the provider's client parses
    INTEGERS = "integers"  # 0 .. 3: the provider's tutorial


def public_url(url: str) -> str:
    """`url` fit to show a client: scheme://host:port/path, without userinfo, query or fragment.

    A deployment URL may carry credentials (`http://user:secret@host`); the
    gateway's own error bodies and status `Error` texts must never repeat them.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # a port that is no number: say nothing about it
        port = None
    netloc = f"{host}:{port}" if port is not None else host
    return f"{parts.scheme}://{netloc}{parts.path}"


@dataclass(frozen=True)
class Deployment:
    """A named container behind the gateway, with one URL per replica.

    Requests are spread over the replicas round-robin, one request each in
    turn. `Deployment("mock", "http://127.0.0.1:8000")` is one replica.
    """

    name: str
    #: scheme://host:port[/prefix] of each replica, no trailing slash.
    urls: tuple[str, ...]

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ConfigError(
                f"deployment name {self.name!r}: use 1-63 letters, digits, '.', '_', '~' or '-', "
                "starting with a letter or digit"
            )
        if self.name.lower() in RESERVED_NAMES:
            raise ConfigError(f"deployment name {self.name!r} is reserved for the gateway's own routes")
        urls: Sequence[str] = (self.urls,) if isinstance(self.urls, str) else self.urls
        if not urls:
            raise ConfigError(f"deployment {self.name!r} needs at least one URL")
        object.__setattr__(self, "urls", tuple(self._checked(url) for url in urls))

    def _checked(self, url: str) -> str:
        parts = urlsplit(url)
        shown = repr(public_url(url) if parts.hostname else url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"deployment {self.name!r}: URL {shown} must be http(s)://host[:port][/prefix]")
        try:
            parts.port
        except ValueError:
            raise ConfigError(f"deployment {self.name!r}: URL {shown} has a port that is not 0-65535") from None
        if parts.query or parts.fragment:
            raise ConfigError(f"deployment {self.name!r}: URL {shown} must not carry a query or fragment")
        return url.rstrip("/")


def parse_deployment(text: str) -> Deployment:
    """`NAME=URL` or `NAME=URL1,URL2,...` (one URL per replica) -> Deployment."""
    name, sep, urls = text.partition("=")
    if not sep or not name.strip() or not urls.strip():
        raise ConfigError(f"deployment {name!r}: expected NAME=URL[,URL...], e.g. mock=http://127.0.0.1:8000")
    replicas = [url.strip() for url in urls.split(",")]
    if not all(replicas):
        raise ConfigError(f"deployment {name.strip()!r}: an empty URL in its replica list (NAME=URL1,URL2)")
    return Deployment(name.strip(), tuple(replicas))


@dataclass
class GatewayConfig:
    deployments: list[Deployment] = field(default_factory=list)
    #: When set, every route but /health needs `Authorization: Bearer <api_key>`.
    api_key: str | None = None
    #: Concurrent container calls per deployment for respond-async and -proxy jobs.
    workers: int = 64
    #: Jobs per deployment that may wait for a worker (status `Queue`); 503 beyond.
    queue_size: int = 1024
    #: Concurrent synchronous and respond-async-container calls per deployment; 503 beyond.
    max_sync: int = 256
    #: Status records kept at once (pending and completed); 503 beyond.
    max_stored: int = 10_000
    #: Bytes of request bodies waiting in queues plus stored result bodies; 503 beyond.
    max_stored_bytes: int = 1024 * MiB
    #: Seconds a completed result stays readable.
    retention: float = 600.0
    #: Largest request body accepted (413 beyond).
    max_body: int = 32 * MiB
    #: Request bodies over UPLOAD_THRESHOLD bytes (or of unknown length) being read or
    #: held until handed on, at once; beyond it a 503 is answered before reading the body.
    #: Bounds what uploads hold in memory: max_uploads x max_body (1 GiB by default).
    max_uploads: int = 32
    #: Largest container response stored as a respond-async result (502 beyond).
    max_result_body: int = 64 * MiB
    #: Seconds to wait for the container's whole answer in async modes (504 after),
    #: and for each read in the relayed modes.
    container_timeout: float = 300.0
    #: Seconds to open a connection to a container.
    connect_timeout: float = 5.0
    #: Extra connection attempts when the container refused the connection (nothing was sent).
    connect_retries: int = 2
    #: Idle keep-alive connections to a container are dropped after this many seconds,
    #: below the usual server-side idle timeout (uvicorn: 5 s) so the gateway never
    #: sends a request on a connection the container is closing.
    keepalive_expiry: float = 2.0
    status_encoding: StatusEncoding = StatusEncoding.NAMES

    def __post_init__(self) -> None:
        names = [d.name for d in self.deployments]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ConfigError(f"deployment {duplicates[0]!r} is configured twice")
        counts = ("workers", "queue_size", "max_sync", "max_stored", "max_stored_bytes", "max_body", "max_result_body",
                  "max_uploads")
        for name in counts:
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        for name in ("retention", "container_timeout", "connect_timeout", "keepalive_expiry"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be greater than 0")
        if self.connect_retries < 0:
            raise ConfigError("connect_retries must be 0 or more")
        if self.api_key is not None and not self.api_key:
            raise ConfigError("api_key must not be empty")
        self.status_encoding = StatusEncoding(self.status_encoding)

    def deployment(self, name: str) -> Deployment | None:
        for deployment in self.deployments:
            if deployment.name == name:
                return deployment
        return None
