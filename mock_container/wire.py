"""Reading and writing whole HTTP messages over raw ASGI (the hot path avoids
framework objects)."""

from __future__ import annotations

import asyncio

import orjson
from typing import Any

from .bodies import PART
from .memory import Hold

__all__ = ["BodyTooLarge", "ClientGone", "read_body", "send_bytes", "send_body", "send_json", "NO_BODY_STATUSES"]

#: Final statuses that never carry a body (RFC 9110 §6.4.1; a 1xx is never the mock's answer).
NO_BODY_STATUSES = frozenset({204, 304})


class ClientGone(Exception):
    """The client disconnected before its request body was complete."""


class BodyTooLarge(Exception):
    def __init__(self, received: bytes) -> None:
        super().__init__("request body too large")
        self.received = received  # what was read before giving up


async def read_body(receive, limit: int, content_length: bytes | None, hold: Hold) -> bytes:
    """The whole request body, or BodyTooLarge as soon as it exceeds `limit`.

    Its bytes are taken from `hold` as they arrive (all at once when
    Content-Length announces them): OverBudget when the mock cannot hold them.
    A body of more than one message is held twice while it is joined (its
    pieces and the whole), and counted so."""
    announced = int(content_length) if content_length is not None and content_length.isdigit() else None
    if announced is not None:
        if announced > limit:
            raise BodyTooLarge(b"")
        hold.take(announced)
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientGone
    body = message.get("body", b"")
    if not message.get("more_body", False):
        if len(body) > limit:
            raise BodyTooLarge(body[:limit])
        if announced is None:
            hold.take(len(body))
        return body
    chunks = [body]
    size = len(body)
    taken = announced or 0
    while True:
        need = 2 * (size if announced is None else announced)  # the pieces, and the whole they are joined into
        if need > taken:
            hold.take(need - taken)
            taken = need
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            chunks.append(chunk)
            raise BodyTooLarge(b"".join(chunks)[:limit])
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    if size <= PART:
        body = b"".join(chunks)
    else:
        # bytes.join lets go of the GIL for large joins: off the event loop
        body = await asyncio.to_thread(b"".join, chunks)
    del chunks
    hold.give(taken - size)  # the pieces are gone: the whole alone is held
    return body


def _head(status: int, size: int, content_type: str | bytes | None,
          headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    out: list[tuple[bytes, bytes]] = []
    if status not in NO_BODY_STATUSES:
        if content_type is not None:
            if isinstance(content_type, str):
                content_type = content_type.encode("latin-1")
            out.append((b"content-type", content_type))
        out.append((b"content-length", str(size).encode()))
    out.extend(headers)
    return out


async def send_bytes(send, status: int, body: bytes, content_type: str | bytes | None,
                     headers: list[tuple[bytes, bytes]] = ()) -> None:
    """A complete response with Content-Length (none and no body for 204/304)."""
    if status in NO_BODY_STATUSES:
        body = b""
    await send({"type": "http.response.start", "status": status,
                "headers": _head(status, len(body), content_type, headers)})
    await send({"type": "http.response.body", "body": body})


async def send_body(send, status: int, body: Any, content_type: str | bytes | None,
                    headers: list[tuple[bytes, bytes]] = ()) -> None:
    """`send_bytes` for a body with `size` and `chunks()` (bodies.py): a large
    one goes out PART by PART, each written once the client has read enough
    of the last, so a slow reader holds up only its own response."""
    if body.size <= PART or status in NO_BODY_STATUSES:
        await send_bytes(send, status, body.to_bytes(), content_type, headers)
        return
    await send({"type": "http.response.start", "status": status,
                "headers": _head(status, body.size, content_type, headers)})
    for chunk in body.chunks():
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    # The server waits for its write buffer to drain before taking a message:
    # an empty last one returns once the client has the body, not before.
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def dump_json(document: Any) -> bytes:
    """Compact JSON (UTF-8, non-ASCII as is): orjson, a tenth of the stdlib's time on the echo document,
    which is the largest single cost of an echo after the socket writes (benchmarks/bench_mock_container.py)."""
    return orjson.dumps(document)


async def send_json(send, status: int, document: Any, headers: list[tuple[bytes, bytes]] = ()) -> None:
    await send_bytes(send, status, dump_json(document), b"application/json", headers)
