"""A tiny synchronous inference container: the kind `Prefer: respond-async` is for.

    python examples/sync_container.py --port 8001
    curl -s localhost:8001/generate -H 'Content-Type: application/json' -d '{"prompt": "hi"}'

`GET /health` answers 200 once the "model" is loaded; `POST /generate`
takes `{"prompt": "..."}` and answers `{"completion": ...}`. It knows
nothing about `Prefer`: behind a gateway, respond-async makes it
asynchronous without a line of code here. Bad input gets a 4xx naming
what is wrong, never a 500. Copy it as a starting point; the "model" is
a placeholder.
"""

from __future__ import annotations

import argparse
import json

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


class BadInput(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_prompt(request: Request) -> dict:
    """The request's JSON object with a string `prompt`; BadInput (415/400) otherwise."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise BadInput(415, "Content-Type must be application/json")
    try:
        document = json.loads(await request.body())
    except ValueError:
        raise BadInput(400, "the body is not valid JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("prompt"), str):
        raise BadInput(400, 'the body must be a JSON object with a string field "prompt"')
    return document


def complete(prompt: str) -> dict:
    """The placeholder "model": a toy completion."""
    words = prompt.split()
    return {"completion": f"You said: {prompt}", "tokens": len(words)}


async def generate(request: Request) -> JSONResponse:
    try:
        document = await read_prompt(request)
    except BadInput as exc:
        return JSONResponse({"error": exc.message}, status_code=exc.status)
    return JSONResponse(complete(document["prompt"]))


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[Route("/health", health), Route("/generate", generate, methods=["POST"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
