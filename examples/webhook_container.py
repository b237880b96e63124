"""A tiny fire-and-forget inference container: it acks `Prefer: respond-async` and calls a webhook.

    python examples/webhook_container.py --port 8002
    curl -si localhost:8002/generate -H 'Prefer: respond-async' -H 'Content-Type: application/json' \\
         -d '{"prompt": "hi", "webhook_url": "http://127.0.0.1:9000/_mock/webhooks/demo"}'

Without `Prefer: respond-async` it answers synchronously, like
examples/sync_container.py. With it (what the gateway sends for
`respond-async-proxy` and `respond-async-container`), it checks the input,
answers `202 {"status": "accepted"}` at once, does the work in the
background, then POSTs the result as JSON to the body's `webhook_url`.
Any other `Prefer` value is not its business and is ignored.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

log = logging.getLogger("webhook_container")
WORK_SECONDS = 0.1  # the placeholder "model" takes this long
WEBHOOK_TIMEOUT = 10.0


class BadInput(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def wants_async(request: Request) -> bool:
    """Whether a `Prefer` header asks for respond-async (RFC 7240: a list of tokens, names case-insensitive).

    Exact token match: `respond-asyncx` or `wait=5` are other preferences.
    """
    for line in request.headers.getlist("prefer"):
        for preference in line.split(","):
            name = preference.split(";")[0].split("=")[0].strip().lower()
            if name == "respond-async":
                return True
    return False


async def read_request(request: Request, need_webhook: bool) -> dict:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise BadInput(415, "Content-Type must be application/json")
    try:
        document = json.loads(await request.body())
    except ValueError:
        raise BadInput(400, "the body is not valid JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("prompt"), str):
        raise BadInput(400, 'the body must be a JSON object with a string field "prompt"')
    hook = document.get("webhook_url")
    if need_webhook and not (isinstance(hook, str) and hook.startswith(("http://", "https://"))):
        raise BadInput(400, 'Prefer: respond-async needs a "webhook_url" (http or https URL) in the body')
    return document


async def complete(prompt: str) -> dict:
    """The placeholder "model": a toy completion that takes a moment."""
    await asyncio.sleep(WORK_SECONDS)
    return {"completion": f"You said: {prompt}", "tokens": len(prompt.split())}


async def work_then_call(document: dict) -> None:
    """After the 202: do the work, then deliver the result to the webhook."""
    result = await complete(document["prompt"])
    try:
        async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT, follow_redirects=False) as client:
            await client.post(document["webhook_url"], json=result)
    except httpx.HTTPError as exc:  # the caller is gone; nothing to answer, so log it
        log.warning("webhook %s failed: %s", document["webhook_url"], exc)


async def generate(request: Request) -> JSONResponse:
    is_async = wants_async(request)
    try:
        document = await read_request(request, need_webhook=is_async)
    except BadInput as exc:
        return JSONResponse({"error": exc.message}, status_code=exc.status)
    if is_async:
        return JSONResponse({"status": "accepted"}, status_code=202, background=BackgroundTask(work_then_call, document))
    return JSONResponse(await complete(document["prompt"]))


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[Route("/health", health), Route("/generate", generate, methods=["POST"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
