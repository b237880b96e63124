"""A second origin that writes down every request it gets: the `http://169.254.169.254/` a hostile gateway
points its StatusPath at, or, forwarding to the gateway, a legal second origin of its status routes.

A thread in the test process (ThreadingHTTPServer on a free loopback port);
`forward_to` relays each GET to that base (its answer back unchanged), so a
gateway can name it as the origin of its status and result routes.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

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
                self._answer(200, [("Content-Type", "application/json")], b'{"AccessKeyId": "stolen"}')
                return
            upstream = urlsplit(capture.forward_to)
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=FORWARD_TIMEOUT)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                connection.request("GET", self.path, headers=headers)
                answer = connection.getresponse()
                body = answer.read()
                kept = [(k, v) for k, v in answer.getheaders() if k.lower() not in ("connection", "transfer-encoding",
                                                                                      "content-length")]
                self._answer(answer.status, kept, body)
            finally:
                connection.close()

        def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextmanager
def capture_server() -> Iterator[Capture]:
    """A running Capture on 127.0.0.1 (a free port), stopped on leaving."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Capture("")))
    capture = Capture(f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(capture)
    thread = threading.Thread(target=server.serve_forever, name="capture", daemon=True)
    thread.start()
    try:
        yield capture
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
