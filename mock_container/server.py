"""Running an ASGI app under uvicorn the way the mock needs it.

HTTP protocol: httptools (the faster parser: the load tests push thousands of
requests a second through the mock). Its protocol class is subclassed to
publish two things in the ASGI scope, under `scope["extensions"]["mock.transport"]`:
`transport`, the connection's transport, because connection faults (close,
RST, garbage, malformed chunking) must write to or break the socket itself
and ASGI has no message for that; and `received`, the monotonic time the
request was complete, so delays are measured from arrival. It also bounds a
request's line and headers (`--max-header-bytes`, 431 beyond), which the
parser would otherwise buffer without limit.
"""

from __future__ import annotations

import resource
import time

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .faults import EXTENSION
from .settings import Settings

__all__ = ["MockHttpProtocol", "run", "uvicorn_config", "raise_open_file_limit"]

HEAD_TOO_LARGE = (b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
                  b"connection: close\r\ncontent-length: %d\r\n\r\n%s")


class MockHttpProtocol(HttpToolsProtocol):
    #: Most bytes of a request's line and headers (the parser buffers them whole).
    max_head = Settings.max_header_bytes
    _in_head = True
    _head_bytes = 0
    _tail = b""

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            if self._head_bytes + len(data) <= self.max_head:
                self._head_bytes += len(data)  # the whole read fits: no need to find where the head ends
                self._tail = data[-3:]
            elif not self._head_fits(data):
                body = b'{"error": "request head too large", "limit": %d}' % self.max_head
                self.transport.write(HEAD_TOO_LARGE % (len(body), body))
                self.transport.close()
                return
        super().data_received(data)

    def _head_fits(self, data: bytes) -> bool:
        """Count the head's bytes in `data` (up to its blank line, which may
        have begun in the last read); False once they are over `max_head`."""
        seen = self._tail + data
        ends = [i + len(mark) for mark in (b"\r\n\r\n", b"\n\n") if (i := seen.find(mark)) >= 0]
        head = min(ends) - len(self._tail) if ends else len(data)
        self._tail = seen[-3:]
        self._head_bytes += head
        return self._head_bytes <= self.max_head

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.scope["extensions"] = {EXTENSION: {"transport": self.transport}}

    def on_headers_complete(self) -> None:
        self._in_head, self._tail = False, b""
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        # When the request was whole: delays count from here, not from when the
        # event loop got round to the app (a burst of arrivals queues the app).
        self.scope["extensions"][EXTENSION]["received"] = time.monotonic()
        self._in_head, self._head_bytes = True, 0  # the next request on this connection
        super().on_message_complete()


def raise_open_file_limit() -> None:
    """Thousands of held requests need thousands of sockets: lift the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))
        except (ValueError, OSError):
            pass


def uvicorn_config(app, host: str, port: int, log_level: str = "warning",
                   max_head: int = Settings.max_header_bytes) -> uvicorn.Config:
    """One set of server settings, shared by the mock and the benchmark's baseline."""
    protocol = type("MockHttpProtocol", (MockHttpProtocol,), {"max_head": max_head})
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http=protocol,
        ws="none",
        lifespan="on",
        access_log=False,
        log_level=log_level,
        proxy_headers=False,  # record what arrived, never rewrite client/scheme
        backlog=4096,
        timeout_graceful_shutdown=2,  # hung and delayed requests must not block a stop
    )


def run(app, host: str, port: int, log_level: str = "warning", max_head: int = Settings.max_header_bytes) -> None:
    raise_open_file_limit()
    uvicorn.Server(uvicorn_config(app, host, port, log_level, max_head)).run()
