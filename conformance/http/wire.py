"""The run's connection pool, with a door for requests written byte for byte.

A request carrying the extension `conformance_raw_headers` (header lines as
bytes, e.g. a Prefer value wrapped in spaces) goes out on a connection of
its own through raw.py; every other request uses the pooled httpx
transport. Both answer as httpx responses and fail as httpx errors, so the
recording transport above and the clients above it treat them alike.
"""

from __future__ import annotations

import asyncio
import ssl

import h11
import httpx

from conformance.http import raw

__all__ = ["CLOSED_EARLY", "RAW_HEADERS", "ReusedConnectionReset", "WireTransport", "resendable"]

#: request extension: [(name, value bytes)] written on the wire exactly as given
RAW_HEADERS = "conformance_raw_headers"

#: idle keep-alive connections are dropped well before common server idle timeouts (gunicorn's
#: keepalive, also its uvicorn workers': 2 s; uvicorn, Node.js, Apache: 5 s), so a request
#: seldom goes out on a connection the server is closing (one that does and is reset goes
#: again: ReusedConnectionReset). The client counts from the end of its read, the server from
#: its write: the margin also covers a client that reads late because its machine is busy.
KEEPALIVE_EXPIRY = 1.0


#: a pooled connection that closed before any answer: the server timed it out as it was reused
CLOSED_EARLY = (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError)


class ReusedConnectionReset(httpx.ReadError):
    """A keep-alive connection taken from the pool was reset before any byte of the answer.

    The server had closed it (its idle timeout) as the request went out:
    the request met a closed socket, which the server's kernel answers with
    a reset, so no server ever read it. That is the "means to detect that
    the original request was never applied" of RFC 9110 §9.2.2, under which
    a request of any method may go again; browsers do the same (Chromium's
    resend on a reused socket). A graceful close after reading (end of
    stream, RemoteProtocolError) is not this: that server may have acted.
    """


IDEMPOTENT = frozenset({"GET", "HEAD"})


def resendable(method: str, exc: httpx.HTTPError) -> bool:
    """A try that may go again: it never reached a server, or going again cannot change anything."""
    return isinstance(exc, ReusedConnectionReset) or (method in IDEMPOTENT and isinstance(exc, CLOSED_EARLY))


class _Attempt:
    """What httpcore's trace extension saw of one try: did it open a connection, did an answer begin."""

    def __init__(self) -> None:
        self.connected = False
        self.answered = False

    async def __call__(self, event: str, info: dict) -> None:  # type: ignore[type-arg]
        if event.startswith("connection.connect_"):
            self.connected = True
        elif event == "http11.receive_response_headers.complete":
            self.answered = True


class WireTransport(httpx.AsyncBaseTransport):
    """`resend`: a GET or HEAD whose pooled connection closed before any answer goes once more, on a fresh
    connection (RFC 9110 §9.2.2), and so does any request whose reused connection was reset before any
    answer. For the suite's own instruments, where a keep-alive race is never a finding; requests to the
    target retry in the open instead, recorded (conformance.checks.client), on `ReusedConnectionReset`."""

    def __init__(self, *, max_connections: int = 512, max_keepalive: int = 128, resend: bool = False) -> None:
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_keepalive,
                              keepalive_expiry=KEEPALIVE_EXPIRY)
        self.pool = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
        self.resend = resend

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raw_headers = request.extensions.get(RAW_HEADERS)
        if raw_headers is not None:
            return await self._raw(request, raw_headers)
        attempt = request.extensions["trace"] = _Attempt()
        try:
            return await self.pool.handle_async_request(request)
        except CLOSED_EARLY as exc:
            error: httpx.HTTPError = exc
            if isinstance(exc, (httpx.ReadError, httpx.WriteError)) and not attempt.connected and not attempt.answered:
                error = ReusedConnectionReset(f"{raw_error(exc)} (a reused keep-alive connection, reset before any "
                                              "answer)", request=request)
            if not (self.resend and resendable(request.method, error)):
                if error is exc:
                    raise
                raise error from exc
        # fresh, not pooled: after a burst every pooled connection is as old as the one that closed
        return await self._raw(request, [])

    async def _raw(self, request: httpx.Request, raw_headers: list[tuple[str, bytes]]) -> httpx.Response:
        endpoint = raw.Endpoint.of(str(request.url))
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw
                   if name.lower() != b"content-length"]
        wire, connection = raw.wire_request(request.method, endpoint.target, headers, raw_headers, request.content)
        timeout = (request.extensions.get("timeout") or {}).get("read") or 30.0
        try:
            answer = await raw.exchange(endpoint, wire, connection, timeout)
        except (TimeoutError, asyncio.TimeoutError) as exc:
            raise httpx.ReadTimeout(f"no answer within {timeout:g} s", request=request) from exc
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(raw_error(exc), request=request) from exc
        except h11.ProtocolError as exc:
            raise httpx.RemoteProtocolError(raw_error(exc), request=request) from exc
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body,
                              extensions={"http_version": answer.http_version.encode(),
                                          "reason_phrase": answer.reason.encode("latin-1")})

    async def aclose(self) -> None:
        await self.pool.aclose()


def raw_error(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
