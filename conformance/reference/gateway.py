"""The reference gateway: every MUST and SHOULD of the contract, one decision per method.

Mutant and variant gateways (tests/mutants/) are small subclasses that
override exactly one of the methods listed in `ReferenceGateway`'s
docstring, so each one differs from the reference in a single, named way.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
from collections.abc import AsyncIterator, Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..contract import prefer
from ..contract.prefer import Mode
from ..http.bodies import BodyTooLarge, read_capped
from . import ids
from .middleware import BearerAuth, CutBrokenRelays, DateHeader
from .budget import ByteBudget
from .config import RESERVED_NAMES, Deployment, GatewayConfig, StatusEncoding
from .errors import GatewayError, busy, gateway_error_handler, http_exception_handler
from .paths import AnyPathRoute, climbs_out, shown
from .proxy import ForwardRequest, RelayResponse, Upstream, UpstreamError, end_to_end
from .slots import Slots, UploadSlots
from .store import (
    IdInUse,
    InferenceStore,
    Status,
    StoredRequest,
    StoredResponse,
    StoreFull,
)
from .workers import Job, QueueFull, WorkerPool

__all__ = ["ReferenceGateway"]

log = logging.getLogger("conformance.reference")

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class ReferenceGateway:
    """An async inference gateway in the provider's layout, built from small overridable steps.

    `ReferenceGateway(config).app` is an ASGI application. Routes:
    `GET /health`; `GET /status/{deployment}` and `GET /result/{deployment}`
    with `X-Inference-Id`; any method on `/{deployment}/{path}`, forwarded to
    the deployment's container as `/{path}`.

    Extension points (override one to change one behaviour):

    Routes and ids
      status_route / result_route   class attributes: path templates of the two routes
      status_path(deployment, request) / result_path(...)   StatusPath / ResultPath of a 202
      routes()                      the Starlette route list
      new_id()                      a fresh Id (reference: random UUID4)
      submission_id(request)        the Id of a respond-async submission (client's X-Inference-Id or new_id())
      lookup_id(request)            the Id a status/result request names (400 when missing or malformed)

    Prefer and forwarding
      select_mode(request)          which of the four modes a request is in
      handle_sync / handle_async / handle_proxy / handle_container(request, deployment)
                                    the whole handling of one mode
      container_prefer(values, mode)  the Prefer lines the container receives in each mode
      forward_headers(request, mode)  every header the container receives
      forward_request(request, deployment, mode)  method, path+query, headers, body to send
      check_room(request, deployment, mode)  503 before the body is read when it could not be admitted
      read_body(request)            the body, capped by --max-body (413), with an upload slot (--max-uploads, 503)
      container_target(request)     the raw path and query after the deployment segment (400 when it climbs out)

    respond-async
      accept_document(record, request)  the 202 JSON body
      accept_headers(record, document)  the 202 headers (X-Inference-Id, Location)
      accept_response(record, request)  the whole 202
      before_accept(job)            awaited after queueing, before the 202 (reference: returns at once)
      run_async_job(job)            a worker's handling of one respond-async job
      error_for(response)           the status document's Error for a container answer
      gateway_failure(error)        the stored result when the container failed (502/504)

    respond-async-proxy
      proxy_accept_response(job)    the 202 with an empty body
      run_proxy_job(job)            a worker's delivery of one fire-and-forget job

    respond-async-container and synchronous
      relay(deployment, forward)    send once, stream the container's answer back

    Workers
      admit(job, inference_id)      reserve memory, create the record, enqueue: all or nothing (503s)
      enqueue(job)                  put a job in its deployment's queue (status Queue)
      take_job(queue)               how a free worker takes the next job (reference: FIFO)
      run_job(job)                  dispatch by mode

    Status and result
      find_record(request)          the record a status/result request names (400/404)
      encode_status(status)         "Initialized".."Completed" or 0..3 (--status-encoding)
      status_document(record)       {"Id", "Status", "Error"}
      status_response(record)       the status route's answer
      pending_result_response(record)  the result route before Completed (reference: 202 + status document)
      result_headers(record)        the stored headers a result carries
      result_response(record)       the result route after Completed

    Useful state for overrides: `self.config`, `self.store` (InferenceStore:
    get/remove/complete), `self.pools` and `self.upstreams` by deployment name;
    a `Job` has `mode`, `deployment`, `request` (ForwardRequest), `record` and
    `finished` (an asyncio.Event set when its worker is done).

    A variant is a subclass, started with
    `python -m conformance gateway --implementation module:Class ...`::

        class Gateway(ReferenceGateway):        # breaks GW-ASYNC-05
            async def before_accept(self, job):
                await job.finished.wait()       # answer 202 only after the container did
    """

    status_route = "/status/{deployment}"
    result_route = "/result/{deployment}"
    id_header = "X-Inference-Id"

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.budget = ByteBudget(config.max_stored_bytes)
        self.store = InferenceStore(config.max_stored, config.retention, self.budget)
        self.deployments: dict[str, Deployment] = {d.name: d for d in config.deployments}
        self.upstreams: dict[str, Upstream] = {}
        self.pools: dict[str, WorkerPool] = {}
        self.sync_slots: dict[str, Slots] = {}
        self.uploads = UploadSlots(config.max_uploads)

    @functools.cached_property
    def app(self) -> ASGIApp:
        """The ASGI application, built on first use (so subclasses may set state after __init__)."""
        return self.build_app()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    # ------------------------------------------------------------------ app

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/health", self.health_endpoint, methods=["GET"]),
            Route(self.status_route, self.status_endpoint, methods=["GET"]),
            Route(self.result_route, self.result_endpoint, methods=["GET"]),
            AnyPathRoute("/{deployment}", self.inference_endpoint, methods=ALL_METHODS),
            AnyPathRoute("/{deployment}/{path:path}", self.inference_endpoint, methods=ALL_METHODS),
        ]

    def build_app(self) -> ASGIApp:
        app: ASGIApp = Starlette(
            routes=self.routes(),
            exception_handlers={GatewayError: gateway_error_handler, HTTPException: http_exception_handler},
            lifespan=self.lifespan,
        )
        app = CutBrokenRelays(app)
        if self.config.api_key:
            app = BearerAuth(app, self.config.api_key)
        return DateHeader(app)

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        await self.startup()
        try:
            yield
        finally:
            await self.shutdown()

    async def startup(self) -> None:
        for name, deployment in self.deployments.items():
            self.upstreams[name] = Upstream(deployment, self.config)
            self.sync_slots[name] = Slots(self.config.max_sync)
            pool = WorkerPool(name, self.config.workers, self.config.queue_size, self.run_job, self.take_job)
            pool.start()
            self.pools[name] = pool

    async def shutdown(self) -> None:
        for pool in self.pools.values():
            await pool.close()
        for upstream in self.upstreams.values():
            await upstream.close()

    async def health_endpoint(self, request: Request) -> Response:
        """Up, and how loaded: what an operator (or the benchmark) wants to see at a glance."""
        deployments = {
            name: {
                "workers_busy": pool.busy,
                "queued": pool.queue.qsize(),
                "relayed_in_flight": self.sync_slots[name].used,
            }
            for name, pool in self.pools.items()
        }
        return JSONResponse({
            "status": "ok",
            "deployments": deployments,
            "stored_requests": len(self.store),
            "stored_bytes": self.budget.used,
            "uploads_in_flight": self.uploads.used,
        })

    # ------------------------------------------------------- inference route

    async def inference_endpoint(self, request: Request) -> Response:
        deployment = self.deployment_for(request)
        mode = self.select_mode(request)
        try:
            if mode is Mode.ASYNC:
                return await self.handle_async(request, deployment)
            if mode is Mode.PROXY:
                return await self.handle_proxy(request, deployment)
            if mode is Mode.CONTAINER:
                return await self.handle_container(request, deployment)
            return await self.handle_sync(request, deployment)
        finally:  # the body is queued or sent (or refused) by now
            self.uploads.give_back_for(request)

    def deployment_for(self, request: Request) -> Deployment:
        name = request.path_params["deployment"]
        deployment = self.deployments.get(name)
        if deployment is None and name in RESERVED_NAMES and request.method not in ("GET", "HEAD"):
            raise GatewayError(405, f"/{name}/... answers GET only", headers={"Allow": "GET"})
        if deployment is None:
            raise GatewayError(404, f"unknown deployment {name!r}; configured: {', '.join(sorted(self.deployments))}")
        return deployment

    def select_mode(self, request: Request) -> Mode:
        return prefer.select_mode(request.headers.getlist("prefer"))

    async def handle_sync(self, request: Request, deployment: Deployment) -> Response:
        forward = await self.forward_request(request, deployment, Mode.SYNC)
        return await self.relay(deployment, forward)

    async def handle_container(self, request: Request, deployment: Deployment) -> Response:
        forward = await self.forward_request(request, deployment, Mode.CONTAINER)
        return await self.relay(deployment, forward)

    async def handle_async(self, request: Request, deployment: Deployment) -> Response:
        inference_id = self.submission_id(request)
        forward = await self.forward_request(request, deployment, Mode.ASYNC)
        job = Job(Mode.ASYNC, deployment, forward)
        self.admit(job, inference_id)
        await self.before_accept(job)
        assert job.record is not None
        return self.accept_response(job.record, request)

    async def handle_proxy(self, request: Request, deployment: Deployment) -> Response:
        forward = await self.forward_request(request, deployment, Mode.PROXY)
        job = Job(Mode.PROXY, deployment, forward)
        self.admit(job, None)
        await self.before_accept(job)
        return self.proxy_accept_response(job)

    # ------------------------------------------------------------ forwarding

    async def forward_request(self, request: Request, deployment: Deployment, mode: Mode) -> ForwardRequest:
        # Everything that can refuse the request does so before its body is read.
        if mode is not Mode.ASYNC and request.headers.getlist(self.id_header):
            # The gateway's own header names a request in every mode, so its value must be able to;
            # a valid one is forwarded like any other header.
            self._valid_id(request.headers.getlist(self.id_header))
        target = self.container_target(request)
        headers = self.forward_headers(request, mode)
        self.check_room(request, deployment, mode)
        return ForwardRequest(method=request.method, target=target, headers=headers, body=await self.read_body(request))

    def check_room(self, request: Request, deployment: Deployment, mode: Mode) -> None:
        """503 before the body is read when the request could not be admitted anyway.

        admit() and relay() decide for good once the body is in; this only
        spares reading a body (up to --max-body) that would be thrown away.
        """
        name = deployment.name
        if mode in (Mode.SYNC, Mode.CONTAINER):
            slots = self.sync_slots[name]
            if slots.used >= slots.size:
                raise busy(f"deployment {name!r} has {slots.size} relayed requests in flight")
            return
        if self.pools[name].full():
            raise busy(f"the queue of deployment {name!r} is full ({self.config.queue_size} waiting)")
        if mode is Mode.ASYNC and len(self.store) >= self.config.max_stored:
            raise busy(f"the gateway holds {self.config.max_stored} requests already", self.store.seconds_until_space())
        declared = request.headers.get("content-length", "").strip()
        if declared.isdigit() and self.budget.used + int(declared) > self.budget.limit:
            raise busy("the gateway's memory budget for queued and stored bodies is used up")

    async def read_body(self, request: Request) -> bytes:
        """The whole body, up to --max-body (413), read only with an upload slot (503 when none is free)."""
        limit = self.config.max_body
        declared = request.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > limit:
            raise GatewayError(
                413, f"request body of {declared} bytes is over the limit of {limit} bytes", header="Content-Length"
            )
        if not self.uploads.try_take_for(request):
            raise busy(f"{self.uploads.size} large request bodies are being read already; send it again later")
        try:
            return await read_capped(request.stream(), limit)
        except BodyTooLarge:
            raise GatewayError(413, f"request body is over the limit of {limit} bytes") from None
        except ClientDisconnect:
            raise GatewayError(400, "the client went away before sending the whole body") from None

    def container_target(self, request: Request) -> bytes:
        """Path and query after the deployment segment, exactly as the client wrote them.

        Refused (before anything is read): a deployment segment that is not
        the routed deployment once decoded (`/mock%2F..%2Fother/x`: 404), and
        a path whose `..` segments would climb out of the deployment (400).
        """
        raw = request.scope.get("raw_path") or request.scope["path"].encode()
        slash = raw.find(b"/", 1)
        segment, path = (raw[1:slash], raw[slash:]) if slash != -1 else (raw[1:], b"/")
        name = request.path_params.get("deployment")
        if name is not None and unquote(segment.decode("latin-1"), encoding="latin-1") != name:
            raise GatewayError(404, f"unknown deployment {shown(segment)!r}: a deployment name holds no '/'")
        if climbs_out(path):
            raise GatewayError(
                400, f"path {shown(path)!r} would leave deployment {name!r}: its '..' segments climb above /{name}/"
            )
        query = request.scope.get("query_string", b"")
        return path + b"?" + query if query else path

    def forward_headers(self, request: Request, mode: Mode) -> list[tuple[bytes, bytes]]:
        # Host and Content-Length are the container connection's own; Expect is
        # about this hop; the API key is the gateway's credential, not the container's.
        drop = [b"host", b"content-length", b"expect"]
        if self.config.api_key:
            drop.append(b"authorization")
        headers = end_to_end(request.headers.raw, drop)
        if mode is Mode.SYNC:
            return headers  # GW-PREF-03: Prefer reaches the container byte for byte
        lines = [value.decode("latin-1") for name, value in headers if name == b"prefer"]
        rewritten = [(b"prefer", line.encode("latin-1")) for line in self.container_prefer(lines, mode)]
        out: list[tuple[bytes, bytes]] = []
        for name, value in headers:
            if name == b"prefer":
                out.extend(rewritten)
                rewritten = []
            else:
                out.append((name, value))
        return out

    def container_prefer(self, values: Sequence[str], mode: Mode) -> list[str]:
        """GW-ASYNC-08: respond-async is the gateway's to honour, so the container gets
        none of the mode tokens; GW-PROXY-03 / GW-CONT-01: in the other two modes it gets
        `respond-async` in their place. Other preferences pass unchanged."""
        if mode is Mode.ASYNC:
            return prefer.rewrite(values, None)
        if mode in (Mode.PROXY, Mode.CONTAINER):
            return prefer.rewrite(values, Mode.ASYNC.value)
        return list(values)

    async def relay(self, deployment: Deployment, forward: ForwardRequest) -> Response:
        slots = self.sync_slots[deployment.name]
        if not slots.try_take():
            raise busy(f"deployment {deployment.name!r} has {slots.size} relayed requests in flight")
        try:
            upstream = await self.upstreams[deployment.name].open(forward)
        except BaseException:
            slots.give_back()
            raise
        return RelayResponse(upstream, on_close=slots.give_back, label=f"deployment {deployment.name!r}")

    # ------------------------------------------------------------------ ids

    def new_id(self) -> str:
        return ids.new_id()

    def submission_id(self, request: Request) -> str:
        """GW-ASYNC-10: a client-supplied X-Inference-Id becomes the Id."""
        values = request.headers.getlist(self.id_header)
        if not values:
            return self.new_id()
        return self._valid_id(values)

    def lookup_id(self, request: Request) -> str:
        values = request.headers.getlist(self.id_header)
        if not values:
            raise GatewayError(
                400, f"missing header {self.id_header}: send the Id the 202 gave you", header=self.id_header
            )
        return self._valid_id(values)

    def _valid_id(self, values: list[str]) -> str:
        if len(values) > 1:
            raise GatewayError(
                400, f"header {self.id_header} is given {len(values)} times; send it once", header=self.id_header
            )
        value = values[0].strip(" \t")
        problem = ids.id_problem(value)
        if problem:
            raise GatewayError(400, f"header {self.id_header} {problem}", header=self.id_header)
        return value

    # ----------------------------------------------------------- admission

    def admit(self, job: Job, inference_id: str | None) -> None:
        """Reserve memory, create the record, queue the job: all or nothing."""
        name = job.deployment.name
        if self.pools[name].full():
            raise busy(f"the queue of deployment {name!r} is full ({self.config.queue_size} waiting)")
        size = len(job.request.body)
        if not self.budget.try_reserve(size):
            raise busy("the gateway's memory budget for queued and stored bodies is used up")
        job.reserved = size
        if inference_id is not None:
            try:
                job.record = self.store.create(name, inference_id)
            except IdInUse:
                self.budget.release(size)
                raise GatewayError(
                    409,
                    f"{self.id_header} {inference_id!r} is already in use for deployment {name!r}",
                    header=self.id_header,
                ) from None
            except StoreFull as exc:
                self.budget.release(size)
                raise busy(f"the gateway holds {self.config.max_stored} requests already", exc.retry_after) from None
        self.enqueue(job)

    def enqueue(self, job: Job) -> None:
        if job.record is not None:
            job.record.advance(Status.QUEUE)
        try:
            self.pools[job.deployment.name].submit(job)
        except QueueFull:  # checked in admit(); only an override can get here
            self.budget.release(job.reserved)
            if job.record is not None:
                self.store.remove(job.record)
            raise busy(f"the queue of deployment {job.deployment.name!r} is full") from None

    async def before_accept(self, job: Job) -> None:
        """GW-ASYNC-05 / GW-PROXY-02: the 202 does not wait for the container."""

    # ------------------------------------------------------- 202 responses

    def status_path(self, deployment: str, request: Request | None = None) -> str:
        return self.status_route.format(deployment=deployment)

    def result_path(self, deployment: str, request: Request | None = None) -> str:
        return self.result_route.format(deployment=deployment)

    def accept_document(self, record: StoredRequest, request: Request) -> dict[str, Any]:
        return {
            "Id": record.id,
            "StatusPath": self.status_path(record.deployment, request),
            "ResultPath": self.result_path(record.deployment, request),
        }

    def accept_headers(self, record: StoredRequest, document: dict[str, Any]) -> dict[str, str]:
        return {self.id_header: document["Id"], "Location": document["ResultPath"]}

    def accept_response(self, record: StoredRequest, request: Request) -> Response:
        document = self.accept_document(record, request)
        return JSONResponse(document, status_code=202, headers=self.accept_headers(record, document))

    def proxy_accept_response(self, job: Job) -> Response:
        return Response(status_code=202)

    # --------------------------------------------------------------- workers

    async def take_job(self, queue: Any) -> Job:
        return await queue.get()

    async def run_job(self, job: Job) -> None:
        try:
            if job.mode is Mode.ASYNC:
                await self.run_async_job(job)
            else:
                await self.run_proxy_job(job)
        finally:
            self.budget.release(job.reserved)
            job.reserved = 0

    async def run_async_job(self, job: Job) -> None:
        record = job.record
        assert record is not None
        record.advance(Status.INFERENCE)
        try:
            response = await self.upstreams[job.deployment.name].fetch(job.request, self.config.max_result_body)
            error = self.error_for(response)
        except UpstreamError as exc:
            log.warning("respond-async %s on %s: %s", record.id, job.deployment.name, exc.message)
            response, error = self.gateway_failure(exc), exc.message
        self.store.complete(record, response, error)

    async def run_proxy_job(self, job: Job) -> None:
        """GW-PROXY-03: one delivery; a failure is logged, never retried (the container may have it)."""
        try:
            response = await self.upstreams[job.deployment.name].fetch(job.request, self.config.max_result_body)
        except UpstreamError as exc:
            log.warning("respond-async-proxy delivery to %s failed: %s", job.deployment.name, exc.message)
            return
        if response.status_code >= 400:
            log.warning("respond-async-proxy delivery to %s answered %d", job.deployment.name, response.status_code)

    def error_for(self, response: StoredResponse) -> str | None:
        """GW-STATUS-08: a failed inference (4xx or 5xx from the container) has an Error text."""
        if response.status_code < 400:
            return None
        try:
            phrase = HTTPStatus(response.status_code).phrase
        except ValueError:
            phrase = "error"
        return f"the container answered {response.status_code} {phrase}"

    def gateway_failure(self, error: UpstreamError) -> StoredResponse:
        """GW-RESULT-09: a 502/504 of the gateway's own stands in for the missing answer."""
        body = json.dumps({"error": error.message}).encode()
        return StoredResponse(error.status, [(b"content-type", b"application/json")], body)

    # --------------------------------------------------- status and result

    def find_record(self, request: Request) -> StoredRequest:
        name = request.path_params["deployment"]
        if name not in self.deployments:
            raise GatewayError(404, f"unknown deployment {name!r}")
        inference_id = self.lookup_id(request)
        record = self.store.get(name, inference_id)
        if record is None:
            raise GatewayError(
                404, f"no request {inference_id!r} for deployment {name!r} (unknown, or its result expired)"
            )
        return record

    async def status_endpoint(self, request: Request) -> Response:
        return self.status_response(self.find_record(request))

    async def result_endpoint(self, request: Request) -> Response:
        record = self.find_record(request)
        if record.status is not Status.COMPLETED or record.response is None:
            return self.pending_result_response(record)
        return self.result_response(record)

    def encode_status(self, status: Status) -> str | int:
        if self.config.status_encoding is StatusEncoding.INTEGERS:
            return int(status)
        return status.label

    def status_document(self, record: StoredRequest) -> dict[str, Any]:
        return {"Id": record.id, "Status": self.encode_status(record.status), "Error": record.error}

    def status_response(self, record: StoredRequest) -> Response:
        return JSONResponse(self.status_document(record))

    def pending_result_response(self, record: StoredRequest) -> Response:
        """GW-RESULT-04 / -07: not ready is a 202 carrying the status document."""
        return JSONResponse(self.status_document(record), status_code=202)

    def result_headers(self, record: StoredRequest) -> list[tuple[bytes, bytes]]:
        assert record.response is not None
        return list(record.response.headers)

    def result_response(self, record: StoredRequest) -> Response:
        """GW-RESULT-01/-03/-08/-10: the container's status, headers and bytes, every time."""
        assert record.response is not None
        response = Response(record.response.body, status_code=record.response.status_code)
        response.raw_headers = self.result_headers(record) + response.raw_headers  # + Content-Length
        return response
