"""A legal async inference gateway written the way a Starlette/FastAPI developer would write it.

Independent of the project's reference gateway (no `conformance` or
`mock_container` import): one Starlette app, httpx.AsyncClient for
forwarding, asyncio tasks for the background work.

What it legally does differently from the reference:

- **decoded path** (GW-SYNC-05, a SHOULD): the container path is built from
  Starlette's `{path:path}` route parameter, which the server has already
  percent-decoded, and is then re-encoded only where a character may not
  stand as it is (`quote(path, safe=PATH_SAFE)`). `/a%2Fb` reaches the
  container as `/a/b`, `/x%3By` as `/x;y`; `%3F`, `%23`, `%25`, spaces and
  non-ASCII come out encoded as they went in.
- **naive Prefer split** (GW-PREF-09, a SHOULD): the `Prefer` lines are
  joined and split on every comma, quotes or not, and each piece's name is
  what stands before its first `;` or `=`. So `wait="a, respond-async, b"`
  selects respond-async. Every value without a quoted-string is read as
  RFC 7240 reads it (case-insensitive names, lists, parameters, several lines).

Everything else the contract asks for is here: the provider's layout
(`/{deployment}/{path}`, `GET /status/{deployment}`, `GET /result/{deployment}`
with `X-Inference-Id`), names as Status, the container's own status code as
the result's, 502/504 when the container cannot be reached or never answers.

    python -m tests.legal.starlette_gateway --port 8080 --deployment mock=http://127.0.0.1:8000 \
        [--deployment other=URL] [--container-timeout 4.5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

MODES = ("respond-async", "respond-async-proxy", "respond-async-container")
SYNC = "sync"
STATUS_NAMES = ("Initialized", "Queue", "Inference", "Completed")
ID_HEADER = "x-inference-id"
#: characters quote() leaves as they are in the container path: RFC 3986 pchar and "/"
PATH_SAFE = "/:@!$&'()*+,;="
#: connection-specific fields (RFC 9110 §7.6.1): never forwarded in either direction
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
                        "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"})
#: request fields that belong to the client's connection, not the container's
NOT_FORWARDED = HOP_BY_HOP | {"host", "content-length", "expect"}
#: response fields the gateway's own server sets (a second copy would be a duplicate)
NOT_RELAYED = HOP_BY_HOP | {"content-length", "date", "server"}
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
MiB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    deployments: dict[str, str]
    container_timeout: float = 30.0
    sync_timeout: float = 300.0
    max_body: int = 32 * MiB
    max_result: int = 32 * MiB
    max_records: int = 10_000
    #: bytes of stored results; past it the oldest completed requests are forgotten
    max_stored_bytes: int = 256 * MiB
    #: container calls at once (the rest wait, status Queue)
    max_jobs: int = 256
    #: background calls accepted but not finished (each holds its body); past it submissions get 503
    max_background: int = 1024


# ---------------------------------------------------------------- Prefer


def preference_name(piece: str) -> str:
    """The name of one comma-separated piece: what stands before its first `;` or `=`."""
    return piece.split(";", 1)[0].split("=", 1)[0].strip(" \t").lower()


def select_mode(prefer_lines: list[str]) -> str:
    """The first mode named by a piece of the comma-split header (quoted commas split too)."""
    for piece in ",".join(prefer_lines).split(","):
        if preference_name(piece) in MODES:
            return preference_name(piece)
    return SYNC


def container_prefer(prefer_lines: list[str], replacement: str | None) -> list[str]:
    """The Prefer lines without the mode pieces; `replacement` takes the place of the first one."""
    out = []
    for line in prefer_lines:
        pieces = line.split(",")
        if not any(preference_name(p) in MODES for p in pieces):
            out.append(line)
            continue
        kept = []
        for piece in pieces:
            if preference_name(piece) in MODES:
                if replacement is not None:
                    kept.append(replacement)
                    replacement = None
            elif piece.strip(" \t"):
                kept.append(piece.strip(" \t"))
        if kept:
            out.append(", ".join(kept))
    return out


# ------------------------------------------------------------- records


class Refused(Exception):
    """An answer of the gateway's own (4xx/5xx) with a message naming what was wrong."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


@dataclass
class Stored:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass(frozen=True)
class Forward:
    """A request as it goes to the container."""

    method: str
    url: httpx.URL
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass
class Job:
    id: str
    deployment: str
    state: int = 0  # index into STATUS_NAMES
    error: str | None = None
    result: Stored | None = None
    created: float = field(default_factory=time.monotonic)


class Jobs:
    """Respond-async jobs by (deployment, Id): at most `limit` of them and `max_bytes` of results;
    the oldest completed ones are forgotten first."""

    def __init__(self, limit: int, max_bytes: int) -> None:
        self.limit = limit
        self.max_bytes = max_bytes
        self.stored_bytes = 0
        self.items: dict[tuple[str, str], Job] = {}  # insertion order: oldest first

    def add(self, deployment: str, job_id: str) -> Job:
        key = (deployment, job_id)
        if key in self.items:
            raise Refused(409, f"X-Inference-Id {job_id!r} is already in use for deployment {deployment!r}")
        self.forget_oldest(lambda: len(self.items) >= self.limit)
        if len(self.items) >= self.limit:
            raise Refused(503, f"{self.limit} requests are in progress; try again later", {"Retry-After": "1"})
        job = self.items[key] = Job(job_id, deployment)
        return job

    def complete(self, job: Job, result: Stored, error: str | None) -> None:
        job.result, job.error, job.state = result, error, 3
        self.stored_bytes += len(result.body)
        self.forget_oldest(lambda: self.stored_bytes > self.max_bytes, keep=job)

    def forget_oldest(self, needed: Callable[[], bool], keep: Job | None = None) -> None:
        """Forget completed requests, oldest first (never `keep`), while `needed()` says so."""
        for key, job in list(self.items.items()):
            if not needed():
                return
            if job.result is not None and job is not keep:
                del self.items[key]
                self.stored_bytes -= len(job.result.body)

    def get(self, deployment: str, job_id: str) -> Job | None:
        return self.items.get((deployment, job_id))


# ------------------------------------------------------------ the gateway


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def valid_id(values: list[str]) -> str:
    """A client's X-Inference-Id: once, 1-128 visible ASCII characters."""
    if len(values) != 1:
        raise Refused(400, f"X-Inference-Id is given {len(values)} times; send it once")
    value = values[0].strip(" \t")
    if not 1 <= len(value) <= 128 or not all("!" <= c <= "~" for c in value):
        raise Refused(400, "X-Inference-Id must be 1-128 visible ASCII characters")
    return value


class Gateway:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.jobs = Jobs(settings.max_records, settings.max_stored_bytes)
        self.running: set[asyncio.Task] = set()
        self.slots = asyncio.Semaphore(settings.max_jobs)
        self.client: httpx.AsyncClient | None = None

    # ----- app

    def app(self) -> Starlette:
        routes = [
            Route("/status/{deployment}", self.status, methods=["GET"]),
            Route("/result/{deployment}", self.result, methods=["GET"]),
            Route("/{deployment}", self.inference, methods=ALL_METHODS),
            Route("/{deployment}/{path:path}", self.inference, methods=ALL_METHODS),
        ]
        return Starlette(routes=routes, lifespan=self.lifespan, exception_handlers={Refused: self.refused})

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        timeout = httpx.Timeout(connect=10.0, read=self.settings.sync_timeout, write=60.0, pool=10.0)
        # keep-alive connections expire before the container's server closes them (uvicorn: 5 s)
        limits = httpx.Limits(max_connections=None, keepalive_expiry=2.0)
        async with httpx.AsyncClient(timeout=timeout, limits=limits, follow_redirects=False, trust_env=False) as client:
            for name in ("accept", "accept-encoding", "user-agent", "connection"):
                del client.headers[name]  # the container sees the client's headers, not httpx's defaults
            self.client = client
            yield
            for task in self.running:
                task.cancel()
            await asyncio.gather(*self.running, return_exceptions=True)

    async def refused(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refused)
        return error(exc.status, str(exc), exc.headers)

    def container_url(self, request: Request) -> httpx.URL:
        deployment = request.path_params["deployment"]
        base = self.settings.deployments.get(deployment)
        if base is None:
            raise Refused(404, f"unknown deployment {deployment!r}")
        path = "/" + request.path_params.get("path", "")  # decoded by the server: %2F is a slash now
        try:
            return httpx.URL(base.rstrip("/") + quote(path, safe=PATH_SAFE), query=request.scope.get("query_string", b""))
        except httpx.InvalidURL as exc:
            raise Refused(400, f"the request target cannot be forwarded: {exc}") from None

    # ----- inference route

    async def inference(self, request: Request) -> Response:
        url = self.container_url(request)
        prefer_lines = request.headers.getlist("prefer")
        mode = select_mode(prefer_lines)
        if mode in ("respond-async", "respond-async-proxy") and len(self.running) >= self.settings.max_background:
            raise Refused(503, f"{len(self.running)} background requests are in progress; try again later",
                          {"Retry-After": "1"})
        body = await self.read_body(request)

        def forward(lines: list[str]) -> Forward:
            return Forward(request.method, url, self.forward_headers(request, lines), body)

        if mode == SYNC:
            return await self.relay(forward(prefer_lines))
        if mode == "respond-async-container":
            return await self.relay(forward(container_prefer(prefer_lines, "respond-async")))
        if mode == "respond-async-proxy":
            self.start(self.deliver(forward(container_prefer(prefer_lines, "respond-async"))))
            return Response(status_code=202)
        return await self.accept(request, forward(container_prefer(prefer_lines, None)))

    async def read_body(self, request: Request) -> bytes:
        limit = self.settings.max_body
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise Refused(413, f"Content-Length {declared} is over the limit of {limit} bytes")
        chunks, size = [], 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise Refused(413, f"the body is over the limit of {limit} bytes")
                chunks.append(chunk)
        except ClientDisconnect:
            raise Refused(400, "the client went away before sending the whole body") from None
        return b"".join(chunks)

    def forward_headers(self, request: Request, prefer_lines: list[str]) -> list[tuple[bytes, bytes]]:
        named = {option.strip().lower() for value in request.headers.getlist("connection") for option in value.split(",")}
        out = []
        for name, value in request.headers.raw:
            key = name.decode("latin-1").lower()
            if key in NOT_FORWARDED or key in named or key == "prefer":
                continue
            out.append((name, value.strip(b" \t")))  # surrounding whitespace is not part of a value (RFC 9110 §5.5)
        out += [(b"prefer", line.strip(" \t").encode("latin-1")) for line in prefer_lines]
        return out

    def start(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` in the background, holding a reference so the task is not collected mid-way."""
        task = asyncio.create_task(work)
        self.running.add(task)
        task.add_done_callback(self.running.discard)

    async def relay(self, forward: Forward) -> Response:
        """Send once and stream the container's answer back as it arrives."""
        assert self.client is not None
        request = self.client.build_request(forward.method, forward.url, headers=forward.headers, content=forward.body)
        try:
            upstream = await self.client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            return error(504, f"the container did not answer in time: {type(exc).__name__}")
        except httpx.HTTPError as exc:
            return error(502, f"cannot reach the container: {type(exc).__name__}: {str(exc)[:200]}")

        async def pieces() -> AsyncIterator[bytes]:
            try:
                async for piece in upstream.aiter_raw():
                    yield piece
            finally:
                await upstream.aclose()

        response = StreamingResponse(pieces(), status_code=upstream.status_code)
        response.raw_headers = relayed_headers(upstream.headers.raw)
        return response

    async def fetch(self, forward: Forward) -> Stored:
        """Send once and read the whole answer within the container timeout; 502/504 of our own if none."""
        assert self.client is not None
        limit = self.settings.container_timeout
        try:
            async with asyncio.timeout(limit):
                async with self.client.stream(forward.method, forward.url, headers=forward.headers,
                                              content=forward.body) as answer:
                    chunks, size = [], 0
                    async for chunk in answer.aiter_raw():
                        size += len(chunk)
                        if size > self.settings.max_result:
                            return made(502, f"the container answered more than {self.settings.max_result} bytes")
                        chunks.append(chunk)
                    return Stored(answer.status_code, relayed_headers(answer.headers.raw), b"".join(chunks))
        except (TimeoutError, httpx.TimeoutException):
            return made(504, f"the container did not answer within {limit:g} s")
        except httpx.HTTPError as exc:
            return made(502, f"the container could not be reached or broke off: {type(exc).__name__}: {str(exc)[:200]}")

    async def deliver(self, forward: Forward) -> None:
        """respond-async-proxy: one delivery, never retried (the container may have it already)."""
        async with self.slots:
            await self.fetch(forward)

    # ----- respond-async

    async def accept(self, request: Request, forward: Forward) -> Response:
        deployment = request.path_params["deployment"]
        wanted = request.headers.getlist(ID_HEADER)
        job = self.jobs.add(deployment, valid_id(wanted) if wanted else str(uuid.uuid4()))
        headers = [(n, v) for n, v in forward.headers if n.lower() != b"x-inference-id"]
        job.state = 1
        self.start(self.run(job, dataclasses.replace(forward, headers=headers)))
        document = {"Id": job.id, "StatusPath": f"/status/{deployment}", "ResultPath": f"/result/{deployment}"}
        return JSONResponse(document, status_code=202,
                            headers={"X-Inference-Id": job.id, "Location": document["ResultPath"]})

    async def run(self, job: Job, forward: Forward) -> None:
        try:
            async with self.slots:
                job.state = 2
                stored = await self.fetch(forward)
        except Exception as exc:  # noqa: BLE001 - whatever went wrong, the job must reach Completed
            stored = made(502, f"the gateway failed to call the container: {type(exc).__name__}: {str(exc)[:200]}")
        if isinstance(stored, Made):
            error = stored.message
        else:
            error = f"the container answered {stored.status}" if stored.status >= 400 else None
        self.jobs.complete(job, stored, error)

    # ----- status and result

    def find(self, request: Request) -> Job:
        deployment = request.path_params["deployment"]
        if deployment not in self.settings.deployments:
            raise Refused(404, f"unknown deployment {deployment!r}")
        values = request.headers.getlist(ID_HEADER)
        if not values:
            raise Refused(400, "missing header X-Inference-Id: send the Id the 202 gave you")
        job = self.jobs.get(deployment, valid_id(values))
        if job is None:
            raise Refused(404, f"no request {values[0].strip()!r} for deployment {deployment!r}")
        return job

    def status_document(self, job: Job) -> dict:
        return {"Id": job.id, "Status": STATUS_NAMES[job.state], "Error": job.error}

    async def status(self, request: Request) -> Response:
        return JSONResponse(self.status_document(self.find(request)))

    async def result(self, request: Request) -> Response:
        job = self.find(request)
        if job.result is None:
            return JSONResponse(self.status_document(job), status_code=202)
        response = Response(job.result.body, status_code=job.result.status)
        response.raw_headers = job.result.headers + response.raw_headers  # + Content-Length
        return response


@dataclass
class Made(Stored):
    """A result the gateway made itself because the container gave none."""

    message: str = ""


def made(status: int, message: str) -> Made:
    return Made(status, [(b"content-type", b"application/json")], json.dumps({"error": message}).encode(), message)


def relayed_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    named = {option.strip().lower() for name, value in raw if name.lower() == b"connection"
             for option in value.decode("latin-1").split(",")}
    return [(n, v) for n, v in raw if n.decode("latin-1").lower() not in NOT_RELAYED | named]


# ------------------------------------------------------------------ CLI


def deployment_arg(text: str) -> tuple[str, str]:
    name, sep, url = text.partition("=")
    if not sep or not name or "/" in name or not url.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME=http://host:port")
    return name, url


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.legal.starlette_gateway", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--deployment", type=deployment_arg, action="append", required=True, metavar="NAME=URL")
    parser.add_argument("--container-timeout", type=float, default=30.0, metavar="SECONDS",
                        help="the most a respond-async or fire-and-forget call may take (then 504)")
    args = parser.parse_args(argv)
    if args.container_timeout <= 0:
        parser.error("--container-timeout must be positive")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    settings = Settings(deployments=dict(args.deployment), container_timeout=args.container_timeout)
    uvicorn.run(Gateway(settings).app(), host=args.host, port=args.port, log_level="warning", server_header=False)


if __name__ == "__main__":
    main()
