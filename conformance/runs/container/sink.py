"""The webhook sink a container run starts for itself.

A fire-and-forget container proves it did its work by calling the webhook
it was told about (CT-ASYNC-01). The suite gives it the URL
`{sink}/hooks/{key}`, one key per request, and waits for the call:

- `ANY /hooks/{key}` records a delivery (method, headers, body size, hash
  and start) and answers `200 {"recorded": true, "key": ..., "seq": ...}`;
- `GET /wait/{key}?count=N&timeout=T` answers once N deliveries arrived
  under the key, or after T seconds: `{"deliveries": [...], "timed_out": bool}`.
  The arrival that completes the count wakes it (an asyncio.Condition), no polling.

It is uvicorn serving a starlette app on a thread of the command's own
process, on a socket bound before the thread starts, so it takes
connections from the first moment and needs no readiness wait.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import socket
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

__all__ = ["WebhookSink", "Delivery", "sink_app"]

#: the start of a delivery body the sink keeps (size and hash cover all of it)
KEEP = 2048
#: the most a delivery body may be; beyond it the sink answers 413
MAX_BODY = 64 * 1024 * 1024
MAX_WAIT = 600.0


@dataclass
class Delivery:
    seq: int
    time: float  # wall clock, unix seconds
    key: str
    method: str
    query: str
    headers: list[tuple[str, str]]
    body_size: int
    body_sha256: str
    body_start: str  # the first KEEP bytes, decoded leniently
    content_type: str | None


class _Deliveries:
    """Deliveries by key, with waits woken by arrivals (lives on the sink's event loop)."""

    def __init__(self) -> None:
        self._by_key: dict[str, list[Delivery]] = {}
        self._seq = itertools.count(1)
        self._changed: asyncio.Condition | None = None

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def add(self, delivery: Delivery) -> None:
        condition = self._condition()
        async with condition:
            self._by_key.setdefault(delivery.key, []).append(delivery)
            condition.notify_all()

    def next_seq(self) -> int:
        return next(self._seq)

    async def wait(self, key: str, count: int, timeout: float) -> tuple[list[Delivery], bool]:
        condition = self._condition()
        async with condition:
            try:
                await asyncio.wait_for(condition.wait_for(lambda: len(self._by_key.get(key, [])) >= count), timeout)
                timed_out = False
            except TimeoutError:
                timed_out = True
            return list(self._by_key.get(key, [])), timed_out


async def _read_capped(request: Request) -> tuple[int, str, bytes] | None:
    """(size, sha256, start) of the body, or None when it exceeds MAX_BODY."""
    digest, size, start = hashlib.sha256(), 0, bytearray()
    async for piece in request.stream():
        size += len(piece)
        if size > MAX_BODY:
            return None
        digest.update(piece)
        if len(start) < KEEP:
            start.extend(piece[: KEEP - len(start)])
    return size, digest.hexdigest(), bytes(start)


def _number(request: Request, name: str, default: float, low: float, high: float) -> float:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = float(raw)  # ValueError -> 400 below
    if not low <= value <= high:
        raise ValueError(f"{name} must be in {low:g}..{high:g}")
    return value


def sink_app() -> Starlette:
    deliveries = _Deliveries()

    async def record(request: Request) -> JSONResponse:
        key = request.path_params["key"]
        body = await _read_capped(request)
        if body is None:
            return JSONResponse({"error": "body too large", "limit": MAX_BODY}, status_code=413)
        size, sha256, start = body
        delivery = Delivery(
            seq=deliveries.next_seq(), time=time.time(), key=key, method=request.method,
            query=request.url.query, headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw],
            body_size=size, body_sha256=sha256, body_start=start.decode("utf-8", "replace"),
            content_type=request.headers.get("content-type"),
        )
        await deliveries.add(delivery)
        return JSONResponse({"recorded": True, "key": key, "seq": delivery.seq})

    async def wait(request: Request) -> JSONResponse:
        try:
            count = int(_number(request, "count", 1, 1, 10_000))
            timeout = _number(request, "timeout", 10.0, 0.0, MAX_WAIT)
        except ValueError as exc:
            return JSONResponse({"error": "invalid parameter", "message": str(exc)}, status_code=400)
        found, timed_out = await deliveries.wait(request.path_params["key"], count, timeout)
        return JSONResponse({"deliveries": [asdict(d) for d in found], "timed_out": timed_out})

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[
        Route("/hooks/{key}", record, methods=methods),
        Route("/wait/{key}", wait, methods=["GET"]),
    ])


class WebhookSink:
    """The sink on a loopback port, served from a background thread; a context manager."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self._socket = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._requested_port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._socket.getsockname()[1]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> "WebhookSink":
        """Bind and listen now (connections queue until the thread serves them), then serve."""
        try:
            self._socket.bind((self.host, self._requested_port))
        except OSError as exc:
            self._socket.close()
            raise OSError(f"the webhook sink cannot listen on {self.host}:{self._requested_port}: {exc.strerror}") from None
        self._socket.listen(128)
        config = uvicorn.Config(sink_app(), log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name="conformance-webhook-sink", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> "WebhookSink":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
