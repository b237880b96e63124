"""A hostile mock container: the journal is reset under the suite's feet, right after the suite saw an arrival.

A proxy (a thread in the test process) in front of a real mock container:
it relays every request, and once, right after it relayed a journal answer
that listed a check's request, it resets the mock (`POST /_mock/reset`). A
duplicate that arrived before the reset is gone, one that arrives after it
is the only entry left: a suite reading the journal after the fact would
count one request and pass "exactly once". The suite must instead see from
the mock's answers that entries were evicted, and not judge.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.relay import Answer, forward, request_headers, serving, write_answer

__all__ = ["ResettingMock", "resetting_mock"]

#: longer than any long poll of the suite's (T_done + request timeout)
RELAY_TIMEOUT = 60.0


@dataclass
class ResettingMock:
    url: str
    upstream: str
    resets: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def relay(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        return forward(self.upstream, method, path, headers, body, RELAY_TIMEOUT)

    def after(self, path: str, body: bytes) -> None:
        """Reset the mock once, after the first journal answer that listed a check's request."""
        if not path.startswith("/_mock/journal"):
            return
        try:
            entries = json.loads(body).get("entries") or []
        except (ValueError, AttributeError):
            return
        if not any(not str(entry.get("correlation") or "").startswith("cf-preflight") for entry in entries):
            return
        with self.lock:
            if self.resets:
                return
            self.resets += 1
        self.relay("POST", "/_mock/reset", {}, b"")


def _handler(mock: ResettingMock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            answer = mock.relay(self.command, self.path, request_headers(self), body)
            mock.after(self.path, answer.body)
            write_answer(self, answer)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any  # noqa: N815

    return Handler


@contextmanager
def resetting_mock(upstream: str) -> Iterator[ResettingMock]:
    with serving("resetting-mock") as server:
        mock = ResettingMock(f"http://127.0.0.1:{server.server_address[1]}", upstream.rstrip("/"))
        server.RequestHandlerClass = _handler(mock)
        yield mock
