"""A broken "gateway" for the bad-input tests: its deployment's /health answers like the mock, but
every other path (the mock's control API among them) gets the gateway's own HTML page, as a platform
that serves its web console for routes it does not forward.

    python -m tests.hosted.html_gateway --port 9000
"""

from __future__ import annotations

import argparse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = b"<!doctype html><html><head><title>Console</title></head><body><h1>Sign in</h1></body></html>"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's naming
        if self.path.endswith("/health"):
            self._answer(b'{"status": "ok"}', "application/json")
        else:
            self._answer(PAGE, "text/html; charset=utf-8")

    do_POST = do_PUT = do_DELETE = do_GET

    def _answer(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's signature
        pass  # quiet: the test reads the suite's output, not this server's


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
