"""Requests written byte for byte, for what a regular client refuses to send.

httpx (h11) will not send a field value with leading or trailing spaces,
which GW-PREF-05 needs on the wire, and tests need requests a client would
never form (a bare target, no Host). h11 still frames the request and parses
the answer; only the header lines given as `raw_headers` are spliced in by
hand. One module writes and reads such requests, for the suite (through the
recording transport, `wire.py`) and for the project's tests (synchronously).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11

__all__ = ["RawAnswer", "Endpoint", "wire_request", "AnswerReader", "exchange", "exchange_sync", "bytes_until_closed"]

READ_SIZE = 65536


@dataclass(frozen=True)
class Endpoint:
    """Where a URL's request goes, and the request target it carries."""

    host: str
    port: int
    tls: bool
    netloc: str
    target: str

    @classmethod
    def of(cls, url: str) -> "Endpoint":
        parts = urlsplit(url)
        tls = parts.scheme == "https"
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(parts.hostname or "127.0.0.1", parts.port or (443 if tls else 80), tls, parts.netloc, target)


@dataclass(frozen=True)
class RawAnswer:
    status: int
    reason: str
    http_version: str
    headers: list[tuple[str, str]]
    body: bytes


def wire_request(method: str, target: str, headers: Sequence[tuple[str, str]],
                 raw_headers: Sequence[tuple[str, bytes]] = (), body: bytes = b"") -> tuple[bytes, h11.Connection]:
    """The request's bytes (framed by h11, `raw_headers` exactly as given) and the connection that reads its answer.

    `headers` must hold Host when the request should carry one; Content-Length
    is added for the body.
    """
    markers = {f"conformance-raw-{index}": value for index, (_, value) in enumerate(raw_headers)}
    lines = [*headers, ("Content-Length", str(len(body)))]
    lines += [(name, marker) for (name, _), marker in zip(raw_headers, markers)]
    connection = h11.Connection(h11.CLIENT)
    wire = connection.send(h11.Request(method=method, target=target, headers=lines))
    for marker, value in markers.items():
        wire = wire.replace(marker.encode(), value)
    if body:
        wire += connection.send(h11.Data(data=body))
    wire += connection.send(h11.EndOfMessage())
    return wire, connection


class AnswerReader:
    """Parses the answer to one raw request as its bytes arrive."""

    def __init__(self, connection: h11.Connection) -> None:
        self.connection = connection
        self.response: h11.Response | None = None
        self.body = bytearray()

    def feed(self, data: bytes) -> RawAnswer | None:
        """Take `data` (b"" at EOF); the answer once it is complete, None while more is needed."""
        self.connection.receive_data(data)
        while True:
            event = self.connection.next_event()
            if event is h11.NEED_DATA:
                return None
            if isinstance(event, h11.Response):
                self.response = event
            elif isinstance(event, h11.Data):
                self.body.extend(event.data)
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                return self._answer()

    def _answer(self) -> RawAnswer:
        if self.response is None:
            raise h11.RemoteProtocolError("connection closed before a response")
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in self.response.headers]
        return RawAnswer(self.response.status_code, self.response.reason.decode("latin-1"),
                         f"HTTP/{self.response.http_version.decode()}", headers, bytes(self.body))


async def exchange(endpoint: Endpoint, wire: bytes, connection: h11.Connection, timeout: float) -> RawAnswer:
    """Send `wire` on a new connection and read the answer (asyncio); OSError, TimeoutError or h11 errors when none."""
    async with asyncio.timeout(timeout):
        context = ssl.create_default_context() if endpoint.tls else None
        reader, writer = await asyncio.open_connection(endpoint.host, endpoint.port, ssl=context)
        try:
            writer.write(wire)
            await writer.drain()
            answers = AnswerReader(connection)
            while (answer := answers.feed(await reader.read(READ_SIZE))) is None:
                pass
            return answer
        finally:
            writer.close()


def exchange_sync(endpoint: Endpoint, wire: bytes, connection: h11.Connection, timeout: float) -> RawAnswer:
    """The same with a blocking socket (the project's tests)."""
    with socket.create_connection((endpoint.host, endpoint.port), timeout=timeout) as sock:
        sock.sendall(wire)
        answers = AnswerReader(connection)
        while (answer := answers.feed(sock.recv(READ_SIZE))) is None:
            pass
        return answer


def bytes_until_closed(host: str, port: int, request: bytes, timeout: float) -> tuple[bytes, OSError | None]:
    """Send `request` as it is and read every byte until the server closes: (bytes read, the error that ended it).

    For answers that are not HTTP at all (a container's connection faults: garbage, a reset, a cut body).
    """
    received = bytearray()
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(request)
        try:
            while chunk := sock.recv(READ_SIZE):
                received += chunk
        except OSError as exc:
            return bytes(received), exc
    return bytes(received), None
