"""Keep-alive connections to one container: a free list of httpcore connections.

httpcore's general pool serves many origins and rescans every connection
(with a readability syscall each) on every request and every release, which
made it most of the gateway's CPU per proxied call. A gateway's deployment is
one origin, so a last-in-first-out free list is enough: take the most
recently used idle connection, or open a new one while under the limit.
The HTTP/1.1 work itself stays httpcore's.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator

import httpcore

__all__ = ["ConnectionPool", "PoolTimeout"]


class PoolTimeout(Exception):
    """Every connection stayed busy for the whole pool timeout."""


class _ReturningStream:
    """A response body that gives its connection back when it is closed."""

    def __init__(self, stream: AsyncIterator[bytes], on_close) -> None:  # type: ignore[no-untyped-def]
        self._stream = stream
        self._on_close = on_close

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:  # type: ignore[attr-defined]
            yield chunk

    async def aclose(self) -> None:
        on_close, self._on_close = self._on_close, None
        try:
            if hasattr(self._stream, "aclose"):
                await self._stream.aclose()  # type: ignore[attr-defined]
        finally:
            if on_close is not None:
                await on_close()


class ConnectionPool:
    def __init__(
        self,
        origin: httpcore.Origin,
        max_connections: int,
        keepalive_expiry: float,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.origin = origin
        self.keepalive_expiry = keepalive_expiry
        self.ssl_context = ssl_context
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: list[httpcore.AsyncHTTPConnection] = []  # most recently used last
        self._all: set[httpcore.AsyncHTTPConnection] = set()

    async def request(self, request: httpcore.Request, pool_timeout: float) -> httpcore.Response:
        """Send `request` on one connection; the response body is unread and holds the connection."""
        if self._slots.locked():
            try:
                await asyncio.wait_for(self._slots.acquire(), pool_timeout)
            except TimeoutError:
                raise PoolTimeout(f"no free connection to {self.origin} within {pool_timeout:g} s") from None
        else:
            await self._slots.acquire()
        connection = await self._checkout()
        try:
            response = await connection.handle_async_request(request)
        except BaseException:
            await self._discard(connection)
            raise
        response.stream = _ReturningStream(response.stream, lambda: self._checkin(connection))  # type: ignore[arg-type]
        return response

    async def _checkout(self) -> httpcore.AsyncHTTPConnection:
        while self._idle:
            connection = self._idle.pop()
            if connection.is_idle() and not connection.has_expired():
                return connection
            await self._close(connection)
        connection = httpcore.AsyncHTTPConnection(
            self.origin, ssl_context=self.ssl_context, keepalive_expiry=self.keepalive_expiry, http1=True, http2=False
        )
        self._all.add(connection)
        return connection

    async def _checkin(self, connection: httpcore.AsyncHTTPConnection) -> None:
        self._slots.release()
        if connection.is_idle() and not connection.has_expired():
            self._idle.append(connection)
        else:
            await self._close(connection)
        # Retire the longest-idle connection once it expires: O(1) per request,
        # so idle connections never outlive the expiry by much.
        if self._idle and self._idle[0].has_expired():
            await self._close(self._idle.pop(0))

    async def _discard(self, connection: httpcore.AsyncHTTPConnection) -> None:
        self._slots.release()
        await self._close(connection)

    async def _close(self, connection: httpcore.AsyncHTTPConnection) -> None:
        self._all.discard(connection)
        try:
            await connection.aclose()
        except Exception:  # closing a broken connection may fail; it is gone either way
            pass

    async def aclose(self) -> None:
        for connection in list(self._all):
            await self._close(connection)
        self._idle.clear()
