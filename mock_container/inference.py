"""The inference side: every request outside `/_mock/` and `/health`.

A plain ASGI callable rather than a framework route: this is the path the
load tests push thousands of requests a second through, so it reads the
headers once, journals the request, and only builds a Behaviour when the
request carries a behaviour field.

Every body it holds is counted against a byte budget (memory.py): the
request body while it is read, the answer's body until it is sent (or, for
`ack` / `task-id`, until the work is done), a webhook's body until it is
delivered. A request whose bytes do not fit is answered 503 before any of
its work is done.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any

from conformance.contract.prefer import Mode, select_mode

from . import faults
from .behaviour import Behaviour, BehaviourError
from .bodies import EMPTY, PART, Data, Stream
from .channels import MAX_JSON_CHANNEL, body_size, refuse_large_json_body
from .journal import Arrival
from .memory import Budget, Hold, OverBudget
from .answer import JSON, Answer, decide
from .state import MockState
from .tasks import TaskResult
from .webhooks import WebhookJob
from .wire import (
    NO_BODY_STATUSES,
    BodyTooLarge,
    ClientGone,
    dump_json,
    read_body,
    send_body,
    send_bytes,
    send_json,
)

__all__ = ["InferenceSide", "TASKS_PREFIX"]

TASKS_PREFIX = "/tasks/"
CLOSE = [(b"connection", b"close")]
RETRY_SOON = [(b"retry-after", b"1")]


async def _sleep_since(start: float, delay: float) -> None:
    """Sleep until `delay` seconds after `start` (a time.monotonic() value).

    Loops because event-loop timers have millisecond granularity and may wake
    a fraction early: a delay is never shorter than asked."""
    deadline = start + delay
    while (remaining := deadline - time.monotonic()) > 0:
        await asyncio.sleep(remaining)


async def _disconnected(receive) -> None:
    """Return once the server reports the client gone (the body was read already)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _unless_gone(receive, work: Coroutine[Any, Any, None]) -> bool:
    """Run `work` unless the client hangs up first; True when it did (and
    `work` was cancelled). Starlette's StreamingResponse watches the same way."""
    working = asyncio.ensure_future(work)
    watching = asyncio.ensure_future(_disconnected(receive))
    try:
        await asyncio.wait((working, watching), return_when=asyncio.FIRST_COMPLETED)
    finally:
        working.cancel()
        watching.cancel()
        await asyncio.wait((working, watching))
    if working.cancelled():
        return True
    working.result()  # its own failure, if it had one
    return False


class InferenceSide:
    def __init__(self, state: MockState, inflight: Budget) -> None:
        self.state = state
        self.inflight = inflight  # bodies held by requests in progress (--inflight-bytes)

    async def __call__(self, scope, receive, send) -> None:
        stats = self.state.stats
        stats.received += 1
        stats.in_flight += 1
        hold = Hold(self.inflight)
        try:
            await self._handle(scope, receive, send, hold)
        except ClientGone:
            pass
        finally:
            hold.release()
            stats.in_flight -= 1

    async def _handle(self, scope, receive, send, hold: Hold) -> None:
        state = self.state
        settings = state.settings
        mock_items = []
        prefer = []
        content_length = None
        for name, value in scope["headers"]:
            if name.startswith(b"x-mock-"):
                mock_items.append((name, value))
            elif name == b"prefer":
                prefer.append(value.decode("latin-1"))
            elif name == b"content-length":
                content_length = value
        query = scope["query_string"]
        try:
            body = await read_body(receive, settings.max_body, content_length, hold)
        except BodyTooLarge as exc:
            await self._too_large(scope, send, exc.received, mock_items, query, prefer)
            return
        except OverBudget as exc:
            record = self._record(scope, self._path(scope), b"", prefer,
                                  state.parser.loose_correlation(mock_items, query))
            # The rest of the body is unread, so the connection cannot be reused.
            await self._over_budget(send, record, exc, CLOSE)
            return

        path = self._path(scope)
        if scope["method"] == "GET" and path.startswith(TASKS_PREFIX):
            record = await self._record_large(scope, path, body, prefer, state.parser.loose_correlation(mock_items, query))
            await self._serve_task(send, record, path[len(TASKS_PREFIX):])
            return
        try:
            if len(body) > MAX_JSON_CHANNEL:
                await refuse_large_json_body(body)
            behaviour = state.parser.resolve(mock_items, query, body)
        except BehaviourError as exc:
            correlation = state.parser.loose_correlation(mock_items, query)
            record = await self._record_large(scope, path, body, prefer, correlation)
            await self._invalid(send, record, exc)
            return
        record = await self._record_large(scope, path, body, prefer, behaviour.correlation)
        record.behaviour = behaviour.fields
        # The journal keeps its own prefix of the body (and its own budget):
        # from here on this request does not hold it.
        del body
        hold.release()

        gate = state.gate
        if not gate.capacity:
            await self._answer(scope, receive, send, behaviour, record, prefer, hold)
            return
        if not await gate.enter():
            state.stats.over_capacity += 1
            status = int(settings.over_capacity)
            record.status = status
            await send_json(send, status, {"error": "over capacity", "capacity": settings.capacity})
            return
        try:
            await self._answer(scope, receive, send, behaviour, record, prefer, hold)
        finally:
            gate.leave()

    @staticmethod
    def _path(scope) -> str:
        return (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")

    def _record(self, scope, path: str, body: bytes, prefer: list[str], correlation: str | None) -> Arrival:
        record = Arrival(*self._record_arguments(scope, path, body, prefer, correlation))
        self.state.journal.add(record)
        return record

    async def _record_large(self, scope, path: str, body: bytes, prefer: list[str],
                            correlation: str | None) -> Arrival:
        """`_record` for any body: a record hashes the whole body (sha256 lets
        go of the GIL), so a large one is made off the event loop."""
        if len(body) <= PART:
            return self._record(scope, path, body, prefer, correlation)
        record = await asyncio.to_thread(Arrival, *self._record_arguments(scope, path, body, prefer, correlation))
        self.state.journal.add(record)
        return record

    def _record_arguments(self, scope, path: str, body: bytes, prefer: list[str], correlation: str | None) -> tuple:
        return (time.time(), correlation, scope["method"], path, scope["query_string"].decode("latin-1"),
                scope["headers"], body, self.state.settings.body_keep, ", ".join(prefer) if prefer else None)

    async def _too_large(self, scope, send, received: bytes, mock_items, query, prefer) -> None:
        correlation = self.state.parser.loose_correlation(mock_items, query)
        record = await self._record_large(scope, self._path(scope), received, prefer, correlation)
        limit = self.state.settings.max_body
        record.error = {"error": "body too large", "limit": limit}
        record.status = 413
        self.state.stats.too_large += 1
        # The rest of the body is unread, so the connection cannot be reused.
        await send_json(send, 413, {"error": "body too large", "limit": limit}, CLOSE)

    async def _invalid(self, send, record: Arrival, exc: BehaviourError) -> None:
        record.error = exc.to_json()
        record.status = 400
        self.state.stats.invalid += 1
        await send_json(send, 400, exc.to_json())

    async def _over_budget(self, send, record: Arrival, exc: OverBudget,
                           headers: list[tuple[bytes, bytes]] = ()) -> None:
        record.error = exc.to_json()
        record.status = 503
        self.state.stats.over_budget += 1
        await send_json(send, 503, exc.to_json(), [*RETRY_SOON, *headers])

    def _cancelled(self, record: Arrival, answering: bool) -> None:
        self.state.stats.cancelled += 1
        when = "while the answer was being sent" if answering else "before the answer"
        record.error = {"error": "cancelled", "on-disconnect": "cancel",
                        "message": f"the client closed the connection {when}: the work was cancelled, "
                                   "no webhook is sent"}

    # --- answering a valid request

    async def _answer(self, scope, receive, send, b: Behaviour, record: Arrival, prefer: list[str],
                      hold: Hold) -> None:
        counters = self.state.counters
        if b.plain:
            if b.fields:
                counters.next(b.counter_key())  # a call of its correlation, for a later fail-first
            record.delay = 0.0
            record.status = 200
            await send_bytes(send, 200, dump_json(record.echo_json()), JSON)
            return
        settings = self.state.settings
        call = counters.next(b.counter_key())
        webhook_hold = None
        try:
            hold.take(body_size(b))
            outcome = await decide(b, call, settings.max_delay, lambda: dump_json(record.echo_json()))
            record.delay = outcome.delay
            fault = None if outcome.failing else b.fault
            later = b.async_style != "off" and fault is None and prefer and select_mode(prefer) is Mode.ASYNC
            body, content_type = await self._answer_body(b, outcome, fault, later, hold)
            if b.webhook_url is not None and fault not in faults.CONNECTION_FAULTS:
                webhook_hold = self.state.webhooks.reserve(body)
            if later:
                await self._answer_async(send, b, outcome, record, faults.received_at(scope), body, content_type,
                                         hold.transfer(), webhook_hold)
                webhook_hold = None  # the work later owns it now
                return
        except BehaviourError as exc:
            await self._invalid(send, record, exc)
            return
        except OverBudget as exc:
            await self._over_budget(send, record, exc)
            return
        try:
            if await self._answer_now(scope, receive, send, b, outcome, fault, record, body, content_type):
                if webhook_hold is not None:
                    self._webhook(b, outcome, record, body, content_type, webhook_hold)
                    webhook_hold = None
        finally:
            if webhook_hold is not None:
                webhook_hold.release()

    async def _answer_body(self, b: Behaviour, outcome: Answer, fault: str | None, later: bool,
                           hold: Hold) -> tuple[Data | Stream, str]:
        """The body the answer carries (and its webhook, and its task result)."""
        if not later and (fault in faults.CONNECTION_FAULTS or outcome.status in NO_BODY_STATUSES):
            return EMPTY, outcome.content_type
        if b.stream is None or outcome.failing or fault == "drip":
            return outcome.body, outcome.content_type
        stream = await faults.stream_body(b, outcome, hold)
        cap = self.state.settings.max_response
        if stream.size > cap:
            name = "stream-count" if "stream-count" in b.fields else "stream"
            raise BehaviourError(name, b.origin.get(name, "scenario"),
                                 f"the response would be {stream.size} bytes ({b.stream_count} pieces): "
                                 f"over --max-response ({cap} bytes)")
        return stream, faults.stream_content_type(b, outcome)

    async def _answer_now(self, scope, receive, send, b: Behaviour, outcome: Answer, fault: str | None,
                          record: Arrival, body: Data | Stream, content_type: str) -> bool:
        """Wait the delay and answer; False when there is no webhook to send after
        (a connection fault, or the client hung up and on-disconnect is cancel)."""
        cancel = b.on_disconnect == "cancel"
        if outcome.delay:
            waiting = _sleep_since(faults.received_at(scope), outcome.delay)
            if not cancel:
                await waiting
            elif await _unless_gone(receive, waiting):
                self._cancelled(record, answering=False)
                return False
        transport = faults.transport_of(scope)
        if fault in faults.CONNECTION_FAULTS:
            await self._fault(fault, transport, receive, send, record)
            return False
        record.status = outcome.status
        sending = self._send(send, b, outcome, fault, transport, body)
        if not cancel:
            await sending
        elif await _unless_gone(receive, sending):
            self._cancelled(record, answering=True)
            return False
        return True

    async def _send(self, send, b: Behaviour, outcome: Answer, fault: str | None, transport,
                    body: Data | Stream) -> None:
        if outcome.status in NO_BODY_STATUSES:
            await send_bytes(send, outcome.status, b"", None, outcome.headers)
        elif fault == "drip":
            await faults.drip(send, outcome, b.drip_duration, transport)
        elif isinstance(body, Stream):
            await faults.stream(send, b, outcome, body, transport)
        else:
            await send_body(send, outcome.status, body, outcome.content_type, outcome.headers)

    async def _fault(self, fault: str, transport, receive, send, record: Arrival) -> None:
        if transport is None:
            # Only when run under a server without the transport extension.
            record.status = 501
            await send_json(send, 501, {"error": "connection faults need the mock-container server", "field": "fault"})
            return
        self.state.stats.faults += 1
        await faults.perform_fault(fault, transport, receive, self.state.settings.max_delay)

    async def _answer_async(self, send, b: Behaviour, outcome: Answer, record: Arrival, received: float,
                            body: Data | Stream, content_type: str, hold: Hold, webhook_hold: Hold | None) -> None:
        """`Prefer: respond-async` to an async-aware container: 202 now, work later."""
        task_id = None
        try:
            if b.async_style == "task-id":
                task_id = self.state.tasks.create(body.held)
        except OverBudget:
            hold.release()
            if webhook_hold is not None:
                webhook_hold.release()
            raise
        record.status = 202
        try:
            if task_id is not None:
                await send_json(send, 202, {"task_id": task_id})
            else:
                await send_json(send, 202, {"status": "accepted"})
        finally:  # the work (which now owns the holds) happens whatever became of the 202
            self.state.background.spawn(
                self._work_later(b, outcome, record, task_id, received, body, content_type, hold, webhook_hold))

    async def _work_later(self, b: Behaviour, outcome: Answer, record: Arrival, task_id: str | None,
                          received: float, body: Data | Stream, content_type: str, hold: Hold,
                          webhook_hold: Hold | None) -> None:
        try:
            if outcome.delay:
                await _sleep_since(received, outcome.delay)
            if task_id is not None:
                headers = [(b"content-type", content_type.encode("latin-1")), *outcome.headers]
                self.state.tasks.complete(task_id, TaskResult(outcome.status, headers, body))
            if webhook_hold is not None:
                self._webhook(b, outcome, record, body, content_type, webhook_hold, task_id)
                webhook_hold = None
        finally:
            hold.release()
            if webhook_hold is not None:
                webhook_hold.release()

    def _webhook(self, b: Behaviour, outcome: Answer, record: Arrival, body: Data | Stream,
                 content_type: str, hold: Hold, task_id: str | None = None) -> None:
        self.state.webhooks.submit(WebhookJob(
            url=b.webhook_url, body=body, content_type=content_type, status=outcome.status,
            seq=record.seq, correlation=b.correlation, task_id=task_id, delay=b.webhook_delay,
            retries=b.webhook_retries, backoff=b.webhook_backoff, secret=b.webhook_secret,
        ), hold)

    async def _serve_task(self, send, record: Arrival, task_id: str) -> None:
        if task_id not in self.state.tasks:
            record.status = 404
            await send_json(send, 404, {"error": "unknown task", "task_id": task_id})
            return
        result = self.state.tasks.get(task_id)
        if result is None:
            record.status = 202
            await send_json(send, 202, {"status": "pending", "task_id": task_id})
            return
        record.status = result.status
        await send_body(send, result.status, result.body, None, result.headers)
