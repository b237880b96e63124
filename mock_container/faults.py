"""Answers that are not one ordinary response: connection-level faults, a
body dripped slowly, and streams (chunked or server-sent events).

Connection faults need the socket, which ASGI does not expose: the server's
protocol (server.py) puts the connection's transport in
`scope["extensions"]["mock.transport"]["transport"]`.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import time

from .behaviour import Behaviour
from .bodies import Stream, sse_block
from .memory import Hold
from .answer import Answer

__all__ = ["transport_of", "received_at", "perform_fault", "drip", "stream", "stream_body", "stream_content_type",
           "CONNECTION_FAULTS"]

EXTENSION = "mock.transport"
CONNECTION_FAULTS = frozenset({"close", "reset", "garbage", "bad-chunked", "hang"})
#: A chunked body whose second chunk size is not hex: no parser can accept it.
BAD_CHUNKED = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n"
    b"5\r\nhello\r\nzz\r\nthis is not a chunk\r\n"
)
DRIP_STEP = 0.02  # seconds between drip writes at most this often
DISCONNECT_WAIT = 5.0  # how long to wait for the server to notice a close we made


def transport_of(scope) -> asyncio.Transport | None:
    extension = scope.get("extensions", {}).get(EXTENSION)
    return None if extension is None else extension.get("transport")


def received_at(scope) -> float:
    """Monotonic time the request was complete (now, under another server)."""
    extension = scope.get("extensions", {}).get(EXTENSION)
    received = None if extension is None else extension.get("received")
    return time.monotonic() if received is None else received


async def _until_disconnected(receive, timeout: float) -> bool:
    """Wait for the server's `http.disconnect` (the body was read already)."""
    try:
        async with asyncio.timeout(timeout):
            while (await receive())["type"] != "http.disconnect":
                pass
        return True
    except TimeoutError:
        return False


def _reset(transport: asyncio.Transport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Linger on with a zero timeout: close() then sends RST instead of FIN.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def perform_fault(kind: str, transport: asyncio.Transport, receive, hang_limit: float) -> None:
    """Break the connection as `kind` says, then wait until the server saw it go."""
    if kind == "close":
        transport.close()
    elif kind == "reset":
        _reset(transport)
    elif kind == "garbage":
        transport.write(b"\x00\xff\xfeNOT-HTTP\x07" + random.randbytes(64) + b"\r\n\r\n")
        transport.close()
    elif kind == "bad-chunked":
        transport.write(BAD_CHUNKED)
        transport.close()
    elif kind == "hang":
        if not await _until_disconnected(receive, hang_limit):
            transport.close()  # --max-delay bounds every wait, hangs included
    await _until_disconnected(receive, DISCONNECT_WAIT)


def _closing(transport: asyncio.Transport | None) -> bool:
    return transport is not None and transport.is_closing()


async def drip(send, outcome: Answer, duration: float, transport: asyncio.Transport | None) -> None:
    """A normal response whose body is written piece by piece over `duration`."""
    body = outcome.body
    pieces = max(1, min(body.size, int(duration / DRIP_STEP)))
    size = -(-body.size // pieces) if body.size else 0
    headers = [(b"content-type", outcome.content_type.encode("latin-1")),
               (b"content-length", str(body.size).encode()), *outcome.headers]
    await send({"type": "http.response.start", "status": outcome.status, "headers": headers})
    interval = duration / pieces
    for index in range(pieces):
        await asyncio.sleep(interval)
        if _closing(transport):
            return
        for chunk in body.slice(index * size, (index + 1) * size):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def stream_body(b: Behaviour, outcome: Answer, hold: Hold) -> Stream:
    """What a stream sends: with a body field, the body split in `stream-count`
    parts (chunked) or repeated as every event's data (sse); else one small
    JSON document per piece. An SSE data block is made once, its bytes taken
    from `hold` as it is made."""
    data = None
    if b.has_body_field:
        data = outcome.body if b.stream == "chunked" else await sse_block(outcome.body, hold)
    return Stream(b.stream, b.stream_count, b.correlation, data)


def stream_content_type(b: Behaviour, outcome: Answer) -> str:
    if b.content_type is not None:
        return b.content_type
    if b.stream == "sse":
        return "text/event-stream"
    return outcome.content_type if b.has_body_field else "application/x-ndjson"


async def stream(send, b: Behaviour, outcome: Answer, body: Stream, transport: asyncio.Transport | None) -> None:
    """Send the pieces of `body` one at a time, `stream-interval` apart, with chunked framing."""
    headers = [(b"content-type", stream_content_type(b, outcome).encode("latin-1")), *outcome.headers]
    if b.stream == "sse":
        headers.append((b"cache-control", b"no-cache"))
    await send({"type": "http.response.start", "status": outcome.status, "headers": headers})
    for index, piece in enumerate(body.pieces()):
        if index and b.stream_interval:
            await asyncio.sleep(b.stream_interval)
        if _closing(transport):
            return
        for chunk in piece:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})
