"""Forwarding to a container: header hygiene, the shared connection pool, relaying.

One `Upstream` per deployment takes its replicas in turn, one request each;
every `Replica` owns its keep-alive connections (pool.py, httpcore
underneath). Requests go out with the client's end-to-end headers only
(RFC 9110 §7.6.1), the container's Host and a Content-Length for the exact
body, and nothing else (no default User-Agent, Accept or cookies), so the
container sees what the client sent. A request is sent at most once: the
only retry is after the connection was refused, when nothing has left the
gateway. Errors name a replica by its public URL, never its credentials.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass

import httpcore
import httpx
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from ..http.bodies import BodyTooLarge, read_capped
from .config import Deployment, GatewayConfig, public_url
from .errors import GatewayError
from .pool import ConnectionPool, PoolTimeout
from .store import StoredResponse

__all__ = [
    "HOP_BY_HOP",
    "end_to_end",
    "ForwardRequest",
    "UpstreamError",
    "RelayBroken",
    "Replica",
    "Upstream",
    "RelayResponse",
]

log = logging.getLogger("conformance.reference")

#: Connection-specific fields (RFC 9110 §7.6.1, plus the old proxy ones).
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)


def end_to_end(headers: Iterable[tuple[bytes, bytes]], drop: Iterable[bytes] = ()) -> list[tuple[bytes, bytes]]:
    """`headers` without hop-by-hop fields, the fields `Connection` names, and `drop`.

    Names come back lower-cased; order is kept and so are values, less the
    whitespace around them, which is not part of a field value (RFC 9110 §5.5)
    and which the container connection would refuse to send.
    """
    headers = [(name.lower(), value.strip(b" \t")) for name, value in headers]
    removed = set(HOP_BY_HOP) | {name.lower() for name in drop}
    for name, value in headers:
        if name == b"connection":
            removed.update(option.strip().lower() for option in value.split(b",") if option.strip())
    return [(name, value) for name, value in headers if name not in removed]


@dataclass(frozen=True)
class ForwardRequest:
    """A request as it will reach the container."""

    method: str
    #: Path and query as the client wrote them, after the deployment segment.
    target: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes


#: The response extension naming the replica that answered.
REPLICA = "conformance.replica"


class UpstreamError(GatewayError):
    """The container could not be reached (502), broke off (502) or timed out (504)."""


class RelayBroken(Exception):
    """The container broke off a response already being relayed; the client connection must be cut."""


#: (httpcore error, status, what happened) in the order they are tried. Nothing was sent
#: for the first three, so only a refused connection is retried.
_NETWORK_ERRORS: list[tuple[type[Exception], int, str]] = [
    (httpcore.ConnectTimeout, 504, "timed out connecting"),
    (httpcore.LocalProtocolError, 400, "the request cannot be forwarded as HTTP/1.1"),
    (PoolTimeout, 503, "no free connection"),
    (httpcore.TimeoutException, 504, "did not answer in time"),
    (httpcore.ConnectError, 502, "cannot connect"),
    (httpcore.NetworkError, 502, "broke off the exchange"),
    (httpcore.ProtocolError, 502, "sent a broken answer"),
]


def _upstream_error(where: str, exc: Exception) -> UpstreamError:
    for kind, status, what in _NETWORK_ERRORS:
        if isinstance(exc, kind):
            detail = (str(exc) or type(exc).__name__)[:200]  # a garbage status line can be long
            return UpstreamError(status, f"{where}: {what}: {detail}")
    raise exc


class Replica:
    """One container instance of a deployment and its keep-alive connections."""

    def __init__(self, deployment: Deployment, url: str, config: GatewayConfig) -> None:
        parsed = httpx.URL(url)  # parsing only
        scheme = parsed.scheme.encode()
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        #: How errors name it: never its userinfo (credentials) or query.
        self.label = f"deployment {deployment.name!r} ({public_url(url)})"
        self._host = parsed.netloc  # Host header: the container's, as its URL names it (no userinfo)
        self._origin = (scheme, parsed.raw_host, port)
        self._prefix = parsed.raw_path.rstrip(b"/")
        self.timeouts = {
            "connect": config.connect_timeout,
            "read": config.container_timeout,
            "write": config.container_timeout,
            "pool": config.connect_timeout,
        }
        self.pool = ConnectionPool(
            httpcore.Origin(*self._origin),
            max_connections=config.workers + config.max_sync,
            keepalive_expiry=config.keepalive_expiry,
            ssl_context=httpx.create_ssl_context() if parsed.scheme == "https" else None,
        )

    def request_for(self, forward: ForwardRequest) -> httpcore.Request:
        headers = [(b"host", self._host), *forward.headers]
        if forward.body or forward.method in ("POST", "PUT", "PATCH"):
            headers.append((b"content-length", str(len(forward.body)).encode()))
        return httpcore.Request(
            forward.method.encode(),
            httpcore.URL(scheme=self._origin[0], host=self._origin[1], port=self._origin[2],
                         target=self._prefix + forward.target),
            headers=headers,
            content=forward.body,
            extensions={"timeout": self.timeouts},
        )

    async def send(self, forward: ForwardRequest) -> httpcore.Response:
        return await self.pool.request(self.request_for(forward), self.timeouts["pool"])


class Upstream:
    """One deployment's containers (its replicas), taken in turn, one request each."""

    def __init__(self, deployment: Deployment, config: GatewayConfig) -> None:
        self.deployment = deployment
        self.config = config
        self.replicas = [Replica(deployment, url, config) for url in deployment.urls]
        self._turns = itertools.count()

    def next_replica(self) -> Replica:
        """Round-robin per request: every request (and every retry) goes to the next replica."""
        return self.replicas[next(self._turns) % len(self.replicas)]

    async def open(self, forward: ForwardRequest) -> httpcore.Response:
        """Send `forward` once and return the response with its body still unread."""
        attempt = 0
        while True:
            replica = self.next_replica()
            try:
                response = await replica.send(forward)
            except httpcore.ConnectError as exc:
                # Refused before a byte was sent: retrying (on the next replica) cannot duplicate anything.
                if attempt >= self.config.connect_retries:
                    raise _upstream_error(replica.label, exc) from exc
                attempt += 1
                await asyncio.sleep(0.05 * 2**attempt)
            except Exception as exc:
                raise _upstream_error(replica.label, exc) from exc
            else:
                response.extensions[REPLICA] = replica.label  # for errors while its body is read
                return response

    async def fetch(self, forward: ForwardRequest, max_body: int) -> StoredResponse:
        """Send `forward` once and read the whole answer, within `container_timeout` in total."""
        try:
            async with asyncio.timeout(self.config.container_timeout):
                response = await self.open(forward)
                try:
                    body = await self._read_capped(response, max_body)
                finally:
                    await response.aclose()
        except TimeoutError as exc:
            raise UpstreamError(
                504, f"deployment {self.deployment.name!r} did not answer within {self.config.container_timeout:g} s"
            ) from exc
        headers = end_to_end(response.headers, drop=(b"content-length",))
        return StoredResponse(response.status, headers, body)

    async def _read_capped(self, response: httpcore.Response, max_body: int) -> bytes:
        where = response.extensions.get(REPLICA, f"deployment {self.deployment.name!r}")
        try:
            return await read_capped(response.aiter_stream(), max_body)
        except BodyTooLarge:
            raise UpstreamError(502, f"{where} answered more than {max_body} bytes") from None
        except Exception as exc:
            raise _upstream_error(where, exc) from exc

    async def close(self) -> None:
        for replica in self.replicas:
            await replica.pool.aclose()


class RelayResponse(StreamingResponse):
    """The container's response passed through as it arrives (no buffering).

    Status, end-to-end headers (duplicates kept) and raw body bytes (still
    content-encoded, so Content-Length and Content-Encoding stay true). If the
    container breaks off mid-body the client connection is cut rather than the
    response being ended cleanly: a truncated body must not look complete.
    """

    def __init__(self, upstream: httpcore.Response, on_close: Callable[[], None] | None = None,
                 label: str = "container") -> None:
        self.upstream = upstream
        self.label = label
        self._on_close = on_close
        self._closed = False
        super().__init__(self._relay(), status_code=upstream.status)
        self.raw_headers = end_to_end(upstream.headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:  # however it ended (done, client gone, container broke off): free the connection
            await self.close()

    async def _relay(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.upstream.aiter_stream():
                yield chunk
        except Exception as exc:
            log.warning("relay from %s broke off: %s: %s", self.label, type(exc).__name__, exc)
            raise RelayBroken(str(exc)) from exc

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self.upstream.aclose()
        finally:
            if self._on_close is not None:
                self._on_close()
