"""A relay in the test process: a small HTTP server on a free loopback port that passes requests on to an upstream.

The hostile and failure tests put one in front of a real server and change
one thing on the way (write the request down, reset the mock's journal,
hang up on one request). This module holds what they share: the server
thread, the hop-by-hop rule, the forwarded request and the answer written back.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

__all__ = ["Answer", "forward", "request_headers", "serving", "write_answer"]

#: headers that describe one connection or one framing, never passed on (RFC 9110 §7.6.1)
HOP_BY_HOP = ("connection", "transfer-encoding", "content-length", "keep-alive")


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]  # without the hop-by-hop ones
    body: bytes


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # a burst connects at once; the default backlog of 5 would refuse some


def request_headers(handler: BaseHTTPRequestHandler) -> dict[str, str]:
    """The request's headers to pass on: not Host (the upstream's own goes) and not the hop-by-hop ones."""
    return {k: v for k, v in handler.headers.items() if k.lower() not in ("host", *HOP_BY_HOP)}


def forward(upstream: str, method: str, path: str, headers: dict[str, str], body: bytes, timeout: float) -> Answer:
    """Send one request to `upstream` (a base URL) on a connection of its own and read the whole answer."""
    target = urlsplit(upstream)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=timeout)
    try:
        connection.request(method, path, body=body or None, headers=headers)
        answer = connection.getresponse()
        return Answer(answer.status, [(k, v) for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP],
                      answer.read())
    finally:
        connection.close()


def write_answer(handler: BaseHTTPRequestHandler, answer: Answer) -> None:
    handler.send_response(answer.status)
    for name, value in answer.headers:
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(answer.body)))
    handler.end_headers()
    handler.wfile.write(answer.body)


@contextmanager
def serving(name: str) -> Iterator[ThreadingHTTPServer]:
    """A server on 127.0.0.1 (a free port), stopped on leaving.

    The caller sets `RequestHandlerClass` before it tells anyone the URL
    (`http://127.0.0.1:{server.server_address[1]}`): a handler usually needs
    the object that the URL is part of.
    """
    server = _Server(("127.0.0.1", 0), BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
