"""A container shaped like the provider's whisper tutorial, the model replaced by a fake transcript.

    WEBHOOK=http://127.0.0.1:9100/hook python examples/whisper_container.py --port 8003
    curl -s localhost:8003/generate -H 'Content-Type: application/json' -d '{"url": "https://example.com/a.mp3"}'

- `GET /health`: 200 once the "model" is loaded.
- `POST /generate`: transcribes the audio at the body's `url` and answers
  with the transcript (400 without a top-level `url` field).
- `POST /generate_webhook`: checks the input the same way, answers
  `202 {"status": "accepted"}` at once, transcribes in the background, then
  POSTs the transcript as JSON to the URL in the `WEBHOOK` environment
  variable. That URL is read once, when the container starts: a webhook
  target fixed at deploy time, not one given per request.

It knows nothing about `Prefer`: the route decides. Behind a gateway a
client uses `/generate` synchronously or with `respond-async`, and
`/generate_webhook` with `respond-async-proxy`. Check it with one command
(README, "Check your container"):

    conformance container --container-cmd 'python examples/whisper_container.py --port {port}' \\
        --container-env 'WEBHOOK={sink_url}' --path /generate_webhook --supports fire-and-forget \\
        --body examples/whisper_sample.json --through-gateway
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

log = logging.getLogger("whisper_container")
WORK_SECONDS = 0.1  # the placeholder "model" takes this long
WEBHOOK_TIMEOUT = 10.0
MAX_BODY = 64 * 1024  # a request only carries a URL; anything larger is refused

#: sends one result to the deploy-time webhook (replaceable, e.g. by a test that must see it never called)
Deliver = Callable[[str, dict], Awaitable[None]]


class BadInput(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_audio_url(request: Request) -> str:
    """The body's top-level `url` (a JSON object sent as application/json); BadInput (415/413/400) otherwise."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise BadInput(415, "Content-Type must be application/json")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise BadInput(413, f"the body is larger than {MAX_BODY} bytes")
    try:
        document = json.loads(body)
    except ValueError:
        raise BadInput(400, "the body is not valid JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("url"), str) or not document["url"]:
        raise BadInput(400, 'the body must be a JSON object with a top-level string field "url"')
    return document["url"]


async def transcribe(url: str) -> dict:
    """The placeholder "model": a fake transcript that takes a moment."""
    await asyncio.sleep(WORK_SECONDS)
    return {"url": url, "language": "en", "text": f"(a fake transcript of {url})"}


async def post_to_webhook(webhook: str, result: dict) -> None:
    try:
        async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT, follow_redirects=False, trust_env=False) as client:
            response = await client.post(webhook, json=result)
        if response.status_code >= 300:
            log.warning("webhook %s answered %d", webhook, response.status_code)
    except httpx.HTTPError as exc:  # nobody is waiting for an answer: log it
        log.warning("webhook %s failed: %s", webhook, exc)


def build_app(webhook: str | None, deliver: Deliver = post_to_webhook) -> Starlette:
    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def generate(request: Request) -> JSONResponse:
        try:
            url = await read_audio_url(request)
        except BadInput as exc:
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        return JSONResponse(await transcribe(url))

    async def work_then_call(url: str) -> None:
        await deliver(webhook, await transcribe(url))  # type: ignore[arg-type]  # checked before the 202

    async def generate_webhook(request: Request) -> JSONResponse:
        if not webhook:
            return JSONResponse({"error": "the WEBHOOK environment variable was not set when the container started"},
                                status_code=503)
        try:
            url = await read_audio_url(request)
        except BadInput as exc:
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        return JSONResponse({"status": "accepted"}, status_code=202, background=BackgroundTask(work_then_call, url))

    return Starlette(routes=[
        Route("/health", health),
        Route("/generate", generate, methods=["POST"]),
        Route("/generate_webhook", generate_webhook, methods=["POST"]),
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8003)
    args = parser.parse_args()
    webhook = os.environ.get("WEBHOOK")
    if not webhook:
        log.warning("WEBHOOK is not set: /generate_webhook will answer 503")
    uvicorn.run(build_app(webhook), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
