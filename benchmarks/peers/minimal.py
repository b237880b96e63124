"""The minimal Starlette handler: one catch-all route answering a constant,
the request body left unread.

The ceiling for any handler served with the mock's uvicorn settings
(mock_container.server.run): what uvicorn, httptools and Starlette's routing
cost when the handler does nothing.

Usage: python benchmarks/peers/minimal.py PORT
"""

from __future__ import annotations

import sys

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from mock_container.server import run

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


async def constant(request) -> Response:
    return Response(b'{"ok":true}', media_type="application/json")


app = Starlette(routes=[Route("/{path:path}", constant, methods=METHODS)])

if __name__ == "__main__":
    run(app, "127.0.0.1", int(sys.argv[1]))
