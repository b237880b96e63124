"""The bare Starlette echo equivalent to the mock's untagged echo, and no more.

It answers the same JSON document, key for key and in the same encoding, as
the mock's echo (`Arrival.echo_json` in mock_container/journal.py):
method, raw path, query string, headers as [name, value] pairs, the body's
size and sha256, the body in base64 (the mock echoes the kept body, up to its
64 KiB `--body-keep`, so a 1 KiB body is echoed whole), whether it was cut,
`Prefer`, a sequence number, a null correlation and an instance id.

What it does not do is everything the mock adds around that answer: no
behaviour parsing, no journal, no stats, no delays or faults. So "mock /
this" is the price of being a mock rather than an echo. It is written the
way a user would write it, with Starlette's Request and JSONResponse, and is
served with the mock's own uvicorn settings (mock_container.server.run).

Usage: python benchmarks/peers/echo.py PORT
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import secrets
import sys

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mock_container.server import run

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
KEEP = 64 * 1024  # the mock's default --body-keep

_seq = itertools.count(1)
INSTANCE = secrets.token_hex(8)  # the mock's echo names the instance that answered


async def echo(request: Request) -> JSONResponse:
    body = await request.body()
    kept = body[:KEEP]
    prefer = [value.decode("latin-1") for name, value in request.headers.raw if name == b"prefer"]
    return JSONResponse({
        "seq": next(_seq),
        "method": request.method,
        "path": request.scope["raw_path"].decode("latin-1"),
        "query": request.scope["query_string"].decode("latin-1"),
        "headers": [[name.decode("latin-1"), value.decode("latin-1")] for name, value in request.headers.raw],
        "body_size": len(body),
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "body_base64": base64.b64encode(kept).decode("ascii"),
        "body_truncated": len(body) > KEEP,
        "prefer": ", ".join(prefer) if prefer else None,
        "correlation": None,
        "instance": INSTANCE,
    })


app = Starlette(routes=[Route("/{path:path}", echo, methods=METHODS)])

if __name__ == "__main__":
    run(app, "127.0.0.1", int(sys.argv[1]))
