"""The per-deployment connection pool: reuse, limits, and never reusing a closed connection."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpcore
import pytest

from conformance.reference.pool import ConnectionPool, PoolTimeout


async def with_server(body: Callable[[int, list[int]], Awaitable[None]], close_after: bool = False,
                      hold: asyncio.Event | None = None, held: asyncio.Queue[int] | None = None) -> None:
    """A bare HTTP/1.1 server on a free port; `connections` counts the TCP connections it accepted.
    With `hold`, each request is answered only once `hold` is set (and reported to `held` first)."""
    connections: list[int] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                if hold is not None:
                    if held is not None:
                        held.put_nowait(1)
                    await hold.wait()
                close = b"Connection: close\r\n" if close_after else b""
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + close + b"\r\nok")
                await writer.drain()
                if close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        await asyncio.wait_for(body(port, connections), 10)


def get(port: int) -> httpcore.Request:
    return httpcore.Request(b"GET", httpcore.URL(scheme=b"http", host=b"127.0.0.1", port=port, target=b"/"),
                            headers=[(b"host", b"x")], extensions={"timeout": {"read": 5, "connect": 5}})


async def read(pool: ConnectionPool, port: int, pool_timeout: float = 5) -> bytes:
    response = await pool.request(get(port), pool_timeout)
    try:
        return await response.aread()
    finally:
        await response.aclose()


def new_pool(port: int, max_connections: int = 4) -> ConnectionPool:
    return ConnectionPool(httpcore.Origin(b"http", b"127.0.0.1", port), max_connections, keepalive_expiry=30)


def test_sequential_requests_share_one_connection() -> None:
    async def body(port: int, connections: list[int]) -> None:
        pool = new_pool(port)
        assert [await read(pool, port) for _ in range(5)] == [b"ok"] * 5
        assert len(connections) == 1
        await pool.aclose()

    asyncio.run(with_server(body))


def test_a_connection_the_server_closed_is_not_reused() -> None:
    async def body(port: int, connections: list[int]) -> None:
        pool = new_pool(port)
        assert [await read(pool, port) for _ in range(3)] == [b"ok"] * 3
        assert len(connections) == 3
        await pool.aclose()

    asyncio.run(with_server(body, close_after=True))


def test_the_connection_limit_holds_and_a_full_pool_times_out() -> None:
    async def main() -> None:
        hold, held = asyncio.Event(), asyncio.Queue()

        async def body(port: int, connections: list[int]) -> None:
            pool = new_pool(port, max_connections=2)
            busy = [asyncio.create_task(read(pool, port)) for _ in range(2)]
            for _ in range(2):
                await held.get()  # both connections are now waiting for their answers
            with pytest.raises(PoolTimeout):
                await read(pool, port, pool_timeout=0.2)
            hold.set()
            assert await asyncio.gather(*busy) == [b"ok", b"ok"]
            assert await read(pool, port) == b"ok"  # a slot came back
            assert len(connections) == 2
            await pool.aclose()

        await with_server(body, hold=hold, held=held)

    asyncio.run(main())


def test_a_failed_request_gives_its_slot_back() -> None:
    async def main() -> None:
        pool = ConnectionPool(httpcore.Origin(b"http", b"127.0.0.1", 1), 1, keepalive_expiry=30)
        dead = httpcore.Request(b"GET", httpcore.URL(scheme=b"http", host=b"127.0.0.1", port=1, target=b"/"),
                                headers=[(b"host", b"x")])
        for _ in range(3):  # with one slot, a leaked slot would turn the second try into a PoolTimeout
            with pytest.raises(httpcore.ConnectError):
                await pool.request(dead, 0.2)
        await pool.aclose()

    asyncio.run(main())
