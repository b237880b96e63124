"""A second origin that writes down every request it gets: the `http://169.254.169.254/` a hostile gateway
points its StatusPath at, or, forwarding to the gateway, a legal second origin of its status routes.

A thread in the test process (ThreadingHTTPServer on a free loopback port);
`forward_to` relays each GET to that base (its answer back unchanged), so a
gateway can name it as the origin of its status and result routes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from tests.relay import Answer, forward, request_headers, serving, write_answer

__all__ = ["Capture", "capture_server"]

FORWARD_TIMEOUT = 10.0


@dataclass
class Seen:
    method: str
    path: str
    headers: list[tuple[str, str]]

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]


@dataclass
class Capture:
    url: str
    requests: list[Seen] = field(default_factory=list)
    forward_to: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def host_port(self) -> str:
        return urlsplit(self.url).netloc


def _handler(capture: Capture) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            with capture.lock:
                capture.requests.append(Seen(self.command, self.path, list(self.headers.items())))
            if capture.forward_to is None:
                write_answer(self, Answer(200, [("Content-Type", "application/json")], b'{"AccessKeyId": "stolen"}'))
                return
            write_answer(self, forward(capture.forward_to, "GET", self.path, request_headers(self), b"",
                                       FORWARD_TIMEOUT))

    return Handler


@contextmanager
def capture_server() -> Iterator[Capture]:
    """A running Capture on 127.0.0.1 (a free port), stopped on leaving."""
    with serving("capture") as server:
        capture = Capture(f"http://127.0.0.1:{server.server_address[1]}")
        server.RequestHandlerClass = _handler(capture)
        yield capture
