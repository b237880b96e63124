"""Reading and writing whole HTTP messages over raw ASGI (the hot path avoids
framework objects)."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["BodyTooLarge", "ClientGone", "read_body", "send_bytes", "send_json", "NO_BODY_STATUSES"]

#: Statuses that never carry a body (RFC 9110 §6.4.1; 1xx are written as final responses).
NO_BODY_STATUSES = frozenset(range(100, 200)) | {204, 304}


class ClientGone(Exception):
    """The client disconnected before its request body was complete."""


class BodyTooLarge(Exception):
    def __init__(self, received: bytes) -> None:
        super().__init__("request body too large")
        self.received = received  # what was read before giving up


async def read_body(receive, limit: int, content_length: bytes | None) -> bytes:
    """The whole request body, or BodyTooLarge as soon as it exceeds `limit`."""
    if content_length is not None and content_length.isdigit() and int(content_length) > limit:
        raise BodyTooLarge(b"")
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientGone
    body = message.get("body", b"")
    if not message.get("more_body", False):
        if len(body) > limit:
            raise BodyTooLarge(body[:limit])
        return body
    chunks = [body]
    size = len(body)
    while True:
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
            return b"".join(chunks)


async def send_bytes(send, status: int, body: bytes, content_type: str | bytes | None,
                     headers: list[tuple[bytes, bytes]] = ()) -> None:
    """A complete response with Content-Length (none and no body for 1xx/204/304)."""
    out: list[tuple[bytes, bytes]] = []
    if status in NO_BODY_STATUSES:
        body = b""
        if status < 200:
            # A 1xx is informational to every client, which then waits for a final
            # response that never comes: no body framing, and close the connection.
            out.append((b"content-length", b"0"))
            out.append((b"connection", b"close"))
    else:
        if content_type is not None:
            if isinstance(content_type, str):
                content_type = content_type.encode("latin-1")
            out.append((b"content-type", content_type))
        out.append((b"content-length", str(len(body)).encode()))
    out.extend(headers)
    await send({"type": "http.response.start", "status": status, "headers": out})
    await send({"type": "http.response.body", "body": body})


_ENCODER = json.JSONEncoder(separators=(",", ":"))  # json.dumps would build one per call


def dump_json(document: Any) -> bytes:
    return _ENCODER.encode(document).encode("utf-8")


async def send_json(send, status: int, document: Any, headers: list[tuple[bytes, bytes]] = ()) -> None:
    await send_bytes(send, status, dump_json(document), b"application/json", headers)
