"""The control API under `/_mock/` and `GET /health` (never journaled)."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from conformance.http.bodies import BodyTooLarge, read_capped

from .behaviour import BehaviourError
from .info import INSTANCE_HEADER, info_json
from .journal import ANY_KEY, Delivery, Page, Ring
from .scenarios import ScenarioLimitError
from .state import MockState
from .wire import NO_BODY_STATUSES, dump_json

__all__ = ["build_control_app", "DEFAULT_PAGE", "PAGE_BYTES"]

ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
DEFAULT_WAIT = 10.0
MAX_KEY = 256
MAX_SEQ = 2**63
#: Records in a list answer without `limit` (and in a wait answer, unless `count` asks more).
DEFAULT_PAGE = 1000
#: About the most JSON one list or wait answer holds; the page ends early past it (see `next_after`).
PAGE_BYTES = 8 * 1024 * 1024
#: The encoder hands the event loop back after about this many bytes, so a big
#: answer never stalls the inference side for long.
YIELD_BYTES = 256 * 1024


class _AnyText(Convertor[str]):
    """A path tail of any characters, newline included (Starlette's `path` stops at one)."""

    regex = "[\\s\\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("mock_any", _AnyText())


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
    try:
        return await read_capped(request.stream(), limit)
    except BodyTooLarge:
        return None


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse({"error": "body too large", "limit": limit}, status_code=413, headers={"connection": "close"})


async def _encode_answer(field: str, page: Page, extra: dict[str, Any]) -> bytes:
    """`{field: [records...], **extra}` as JSON, record by record, yielding to the
    event loop every YIELD_BYTES so other requests are served meanwhile."""
    parts = [b'{"', field.encode(), b'":[']
    pending = 0
    for index, record in enumerate(page.records):
        chunk = dump_json(record.to_json())
        if index:
            parts.append(b",")
        parts.append(chunk)
        pending += len(chunk)
        if pending >= YIELD_BYTES:
            pending = 0
            await asyncio.sleep(0)
    parts.append(b"],")
    parts.append(dump_json(extra)[1:])  # the rest of the object: extra's members and its closing brace
    return b"".join(parts)


def _position(store: Ring, page: Page, since: int, instance: str) -> dict[str, Any]:
    """What every list and wait answer says besides its records: where the store stands,
    what it no longer holds, and where the next page starts."""
    return {
        "last_seq": store.last_seq,
        "first_seq": store.first_seq,
        "evicted": store.evicted,
        "evicted_since": store.evicted_since(since),
        "next_after": page.next_after,
        "instance": instance,
    }


def _by_method(handlers: dict[str, Callable[[Request], Awaitable[Response]]]):
    """One endpoint for every method of a path, so a wrong method's 405 can name them all."""
    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)
    return endpoint


class _InstanceHeader:
    """Every control answer (the sink's included) names the mock instance that gave it."""

    def __init__(self, app: Any, instance: str) -> None:
        self.app = app
        self.header = (INSTANCE_HEADER.encode("ascii"), instance.encode("ascii"))

    async def __call__(self, scope, receive, send) -> None:
        async def send_named(message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), self.header]
            await send(message)
        await self.app(scope, receive, send_named)


def build_control_app(state: MockState) -> Starlette:
    settings = state.settings
    default_page = min(DEFAULT_PAGE, settings.journal_size)

    async def health(request: Request) -> Response:
        ready_in = state.ready_in()
        if ready_in > 0:
            return JSONResponse({"status": "starting", "ready_in": round(ready_in, 3)}, status_code=503)
        return JSONResponse({"status": "ok"})

    async def info(request: Request) -> Response:
        return JSONResponse(info_json(state.instance, settings))

    def since_param(request: Request, after: int) -> int:
        """The reader's starting point for `evicted_since`: `since`, else `after`."""
        return _param(request, "since", int, after, 0, MAX_SEQ)

    def list_params(request: Request) -> tuple[int, int, int]:
        after = _param(request, "after", int, 0, 0, MAX_SEQ)
        limit = _param(request, "limit", int, default_page, 1, settings.journal_size)
        return after, limit, since_param(request, after)

    def wait_params(request: Request) -> tuple[int, int, float, int, int]:
        after = _param(request, "after", int, 0, 0, MAX_SEQ)
        count = _param(request, "count", int, 1, 1, settings.journal_size)
        timeout = _param(request, "timeout", float, DEFAULT_WAIT, 0, max(settings.max_delay, DEFAULT_WAIT))
        limit = _param(request, "limit", int, default_page, 1, settings.journal_size)
        return after, count, timeout, max(limit, count), since_param(request, after)

    def list_route(store: Ring, key_param: str, field: str) -> Callable[[Request], Awaitable[Response]]:
        """GET a store's records for one key: the journal and the sink answer alike."""
        async def endpoint(request: Request) -> Response:
            try:
                after, limit, since = list_params(request)
            except ParamError as exc:
                return _bad_param(exc)
            page = store.page(_key(request, key_param), after, limit, PAGE_BYTES)
            body = await _encode_answer(field, page, _position(store, page, since, state.instance))
            return Response(body, media_type="application/json")
        return endpoint

    def wait_route(store: Ring, key_param: str, field: str) -> Callable[[Request], Awaitable[Response]]:
        """Long-poll a store until `count` records for one key arrived, or the timeout."""
        async def endpoint(request: Request) -> Response:
            try:
                after, count, timeout, limit, since = wait_params(request)
            except ParamError as exc:
                return _bad_param(exc)
            key = _key(request, key_param)
            timed_out = await store.wait(key, count, timeout, after)
            page = store.page(key, after, limit, PAGE_BYTES)
            extra = {"timed_out": timed_out, **_position(store, page, since, state.instance)}
            return Response(await _encode_answer(field, page, extra), media_type="application/json")
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
            # No 1xx: it is no final answer, and the webhook sender would wait for one forever.
            fail_status = _param(request, "fail-status", int, 503, 200, 599)
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
        if status in NO_BODY_STATUSES:
            return Response(status_code=status)  # 204 / 304 carry no body (RFC 9110 §15.3.5, §15.4.5)
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
            "journal_evicted": state.journal.evicted,
            "journal_bytes": state.journal.bytes_held,
            "sink_held": len(state.sink),
            "sink_evicted": state.sink.evicted,
            "sink_bytes": state.sink.bytes_held,
            "instance": state.instance,
            "scenarios": len(state.scenarios),
            "queued": state.gate.queued,
            "background": len(state.background),
            "uptime": round(time.monotonic() - state.started, 3),
        })

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
        headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
        if "Allow" in headers:  # RFC 9110 §15.5.6: a 405 names the methods the resource has
            headers["Allow"] = ", ".join(sorted(headers["Allow"].split(", ")))
        return JSONResponse({"error": detail, "path": request.url.path}, status_code=status, headers=headers)

    def route(path: str, **handlers: Callable[[Request], Awaitable[Response]]) -> Route:
        return Route(path, _by_method(handlers), methods=list(handlers))

    routes = [
        route("/health", GET=health),
        route("/_mock/info", GET=info),
        route("/_mock/journal", GET=journal_get, DELETE=journal_clear),
        route("/_mock/journal/wait", GET=journal_wait),
        route("/_mock/webhooks", GET=sink_get),
        route("/_mock/webhooks/wait", GET=sink_wait),
        route("/_mock/webhooks/{key:mock_any}", **dict.fromkeys(ANY_METHOD, sink_record)),
        route("/_mock/scenarios", GET=scenario_list),
        route("/_mock/scenarios/{name}", PUT=scenario_put, GET=scenario_get, DELETE=scenario_delete),
        route("/_mock/reset", POST=reset),
        route("/_mock/stats", GET=stats),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: http_error, Exception: http_error},
                     middleware=[Middleware(_InstanceHeader, instance=state.instance)])
