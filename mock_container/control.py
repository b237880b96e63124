"""The control API under `/_mock/` and `GET /health` (never journaled)."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .behaviour import BehaviourError
from .journal import ANY_KEY, Delivery
from .scenarios import ScenarioLimitError
from .state import MockState

__all__ = ["build_control_app"]

ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
DEFAULT_WAIT = 10.0
MAX_KEY = 256


class ParamError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _param(request: Request, name: str, convert: Callable[[str], Any], default: Any,
           low: float, high: float) -> Any:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = convert(raw)
    except ValueError:
        raise ParamError(name, f"must be {'an integer' if convert is int else 'a number'}") from None
    if not (math.isfinite(value) and low <= value <= high):
        raise ParamError(name, f"must be in {low:g}..{high:g}")
    return value


def _key(request: Request, name: str) -> Any:
    value = request.query_params.get(name)
    return ANY_KEY if value is None else value


def _bad_param(exc: ParamError) -> JSONResponse:
    return JSONResponse({"error": "invalid parameter", "field": exc.field, "message": exc.message}, status_code=400)


async def _capped_body(request: Request, limit: int) -> bytes | None:
    """The request body, or None once it exceeds `limit` (the rest is not read)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse({"error": "body too large", "limit": limit}, status_code=413, headers={"connection": "close"})


def build_control_app(state: MockState) -> Starlette:
    settings = state.settings

    async def health(request: Request) -> Response:
        ready_in = state.ready_in()
        if ready_in > 0:
            return JSONResponse({"status": "starting", "ready_in": round(ready_in, 3)}, status_code=503)
        return JSONResponse({"status": "ok"})

    def list_params(request: Request) -> tuple[int, int]:
        after = _param(request, "after", int, 0, 0, 2**63)
        limit = _param(request, "limit", int, settings.journal_size, 1, settings.journal_size)
        return after, limit

    def wait_params(request: Request) -> tuple[int, int, float]:
        after = _param(request, "after", int, 0, 0, 2**63)
        count = _param(request, "count", int, 1, 1, settings.journal_size)
        timeout = _param(request, "timeout", float, DEFAULT_WAIT, 0, max(settings.max_delay, DEFAULT_WAIT))
        return after, count, timeout

    def list_route(store: Any, key_param: str, field: str) -> Callable[[Request], Awaitable[Response]]:
        """GET a store's records for one key: the journal and the sink answer alike."""
        async def endpoint(request: Request) -> Response:
            try:
                after, limit = list_params(request)
            except ParamError as exc:
                return _bad_param(exc)
            records = store.query(_key(request, key_param), after, limit)
            return JSONResponse({field: [r.to_json() for r in records], "last_seq": store.last_seq})
        return endpoint

    def wait_route(store: Any, key_param: str, field: str) -> Callable[[Request], Awaitable[Response]]:
        """Long-poll a store until `count` records for one key arrived, or the timeout."""
        async def endpoint(request: Request) -> Response:
            try:
                after, count, timeout = wait_params(request)
            except ParamError as exc:
                return _bad_param(exc)
            records, timed_out = await store.wait(_key(request, key_param), count, timeout, after)
            return JSONResponse({field: [r.to_json() for r in records], "timed_out": timed_out,
                                 "last_seq": store.last_seq})
        return endpoint

    journal_get = list_route(state.journal, "correlation", "entries")
    journal_wait = wait_route(state.journal, "correlation", "entries")

    async def journal_clear(request: Request) -> Response:
        cleared = len(state.journal)
        state.journal.clear()
        return JSONResponse({"cleared": cleared})

    async def sink_record(request: Request) -> Response:
        key = request.path_params["key"]
        if len(key) > MAX_KEY:
            return _bad_param(ParamError("key", f"at most {MAX_KEY} characters"))
        try:
            fail_first = _param(request, "fail-first", int, 0, 0, 1_000_000)
            fail_status = _param(request, "fail-status", int, 503, 100, 599)
        except ParamError as exc:
            return _bad_param(exc)
        body = await _capped_body(request, settings.max_body)
        if body is None:
            return _too_large(settings.max_body)
        status = 200
        if fail_first and state.sink_counters.next(key) <= fail_first:
            status = fail_status
        delivery = Delivery(
            time=time.time(), key=key, method=request.method, path=request.url.path,
            query=request.scope["query_string"].decode("latin-1"), headers=request.scope["headers"],
            body=bytes(body), keep=settings.body_keep, status=status,
        )
        seq = state.sink.add(delivery)
        state.stats.sink_deliveries += 1
        return JSONResponse({"recorded": True, "key": key, "seq": seq}, status_code=status)

    sink_get = list_route(state.sink, "key", "deliveries")
    sink_wait = wait_route(state.sink, "key", "deliveries")

    async def scenario_put(request: Request) -> Response:
        name = request.path_params["name"]
        raw = await _capped_body(request, settings.max_body)
        if raw is None:
            return _too_large(settings.max_body)
        try:
            definition = json.loads(raw) if raw.strip() else None
        except (ValueError, RecursionError):
            error = BehaviourError("scenario", "scenario", "the definition is not valid JSON")
            return JSONResponse(error.to_json(), status_code=400)
        try:
            fields = state.parser.check_scenario(name, definition)
            replaced = state.scenarios.put(name, fields)
        except BehaviourError as exc:
            return JSONResponse(exc.to_json(), status_code=400)
        except ScenarioLimitError as exc:
            return JSONResponse(BehaviourError("scenario", "scenario", str(exc)).to_json(), status_code=400)
        state.counters.forget("scenario:" + name)  # `fail-first` counts from the (re)registration
        return JSONResponse({"name": name, "fields": fields}, status_code=200 if replaced else 201)

    async def scenario_list(request: Request) -> Response:
        return JSONResponse({"scenarios": dict(state.scenarios)})

    async def scenario_get(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in state.scenarios:
            return JSONResponse({"error": "unknown scenario", "name": name}, status_code=404)
        return JSONResponse({"name": name, "fields": state.scenarios[name]})

    async def scenario_delete(request: Request) -> Response:
        name = request.path_params["name"]
        if not state.scenarios.delete(name):
            return JSONResponse({"error": "unknown scenario", "name": name}, status_code=404)
        state.counters.forget("scenario:" + name)
        return JSONResponse({"deleted": name})

    async def reset(request: Request) -> Response:
        await state.reset()
        return JSONResponse({"status": "reset"})

    async def stats(request: Request) -> Response:
        return JSONResponse({
            **state.stats.to_json(),
            "journaled": len(state.journal),
            "journal_last_seq": state.journal.last_seq,
            "sink_held": len(state.sink),
            "scenarios": len(state.scenarios),
            "queued": state.gate.queued,
            "background": len(state.background),
            "uptime": round(time.monotonic() - state.started, 3),
        })

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
        return JSONResponse({"error": detail, "path": request.url.path}, status_code=status)

    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/_mock/journal", journal_get, methods=["GET"]),
        Route("/_mock/journal", journal_clear, methods=["DELETE"]),
        Route("/_mock/journal/wait", journal_wait, methods=["GET"]),
        Route("/_mock/webhooks", sink_get, methods=["GET"]),
        Route("/_mock/webhooks/wait", sink_wait, methods=["GET"]),
        Route("/_mock/webhooks/{key:path}", sink_record, methods=ANY_METHOD),
        Route("/_mock/scenarios", scenario_list, methods=["GET"]),
        Route("/_mock/scenarios/{name}", scenario_put, methods=["PUT"]),
        Route("/_mock/scenarios/{name}", scenario_get, methods=["GET"]),
        Route("/_mock/scenarios/{name}", scenario_delete, methods=["DELETE"]),
        Route("/_mock/reset", reset, methods=["POST"]),
        Route("/_mock/stats", stats, methods=["GET"]),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: http_error, Exception: http_error})
