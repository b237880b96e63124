"""The inference side: every request outside `/_mock/` and `/health`.

A plain ASGI callable rather than a framework route: this is the path the
load tests push thousands of requests a second through, so it reads the
headers once, journals the request, and only builds a Behaviour when the
request carries a behaviour field.
"""

from __future__ import annotations

import asyncio
import time

from conformance.contract.prefer import Mode, select_mode

from . import faults
from .behaviour import Behaviour, BehaviourError
from .journal import Arrival
from .outcome import Outcome, decide
from .state import MockState
from .tasks import TaskResult
from .webhooks import WebhookJob
from .wire import NO_BODY_STATUSES, BodyTooLarge, ClientGone, dump_json, read_body, send_bytes, send_json

__all__ = ["InferenceSide"]

TASKS_PREFIX = "/tasks/"
CLOSE = [(b"connection", b"close")]


async def _sleep_since(start: float, delay: float) -> None:
    """Sleep until `delay` seconds after `start` (a time.monotonic() value).

    Loops because event-loop timers have millisecond granularity and may wake
    a fraction early: a delay is never shorter than asked."""
    deadline = start + delay
    while (remaining := deadline - time.monotonic()) > 0:
        await asyncio.sleep(remaining)


class InferenceSide:
    def __init__(self, state: MockState) -> None:
        self.state = state

    async def __call__(self, scope, receive, send) -> None:
        stats = self.state.stats
        stats.received += 1
        stats.in_flight += 1
        try:
            await self._handle(scope, receive, send)
        except ClientGone:
            pass
        finally:
            stats.in_flight -= 1

    async def _handle(self, scope, receive, send) -> None:
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
            body = await read_body(receive, settings.max_body, content_length)
        except BodyTooLarge as exc:
            await self._too_large(scope, send, exc.received, mock_items, query, prefer)
            return

        path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        if scope["method"] == "GET" and path.startswith(TASKS_PREFIX):
            record = self._record(scope, path, body, prefer, state.parser.loose_correlation(mock_items, query))
            await self._serve_task(send, record, path[len(TASKS_PREFIX):])
            return
        try:
            behaviour = state.parser.resolve(mock_items, query, body)
        except BehaviourError as exc:
            correlation = state.parser.loose_correlation(mock_items, query)
            record = self._record(scope, path, body, prefer, correlation)
            record.error = exc.to_json()
            record.status = 400
            state.stats.invalid += 1
            await send_json(send, 400, exc.to_json())
            return
        record = self._record(scope, path, body, prefer, behaviour.correlation)
        record.behaviour = behaviour.fields

        gate = state.gate
        if not gate.capacity:
            await self._answer(scope, receive, send, behaviour, record, prefer)
            return
        if not await gate.enter():
            state.stats.over_capacity += 1
            status = int(settings.over_capacity)
            record.status = status
            await send_json(send, status, {"error": "over capacity", "capacity": settings.capacity})
            return
        try:
            await self._answer(scope, receive, send, behaviour, record, prefer)
        finally:
            gate.leave()

    def _record(self, scope, path: str, body: bytes, prefer: list[str], correlation: str | None) -> Arrival:
        record = Arrival(
            time.time(), correlation, scope["method"], path, scope["query_string"].decode("latin-1"),
            scope["headers"], body, self.state.settings.body_keep, ", ".join(prefer) if prefer else None,
        )
        self.state.journal.add(record)
        return record

    async def _too_large(self, scope, send, received: bytes, mock_items, query, prefer) -> None:
        path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        correlation = self.state.parser.loose_correlation(mock_items, query)
        record = self._record(scope, path, received, prefer, correlation)
        limit = self.state.settings.max_body
        record.error = {"error": "body too large", "limit": limit}
        record.status = 413
        self.state.stats.too_large += 1
        # The rest of the body is unread, so the connection cannot be reused.
        await send_json(send, 413, {"error": "body too large", "limit": limit}, CLOSE)

    # --- answering a valid request

    async def _answer(self, scope, receive, send, b: Behaviour, record: Arrival, prefer: list[str]) -> None:
        call = self.state.counters.next(b.counter_key()) if b.fields else 1
        outcome = decide(b, call, self.state.settings.max_delay, lambda: dump_json(record.echo_json()))
        record.delay = outcome.delay
        fault = None if outcome.failing else b.fault
        if b.async_style != "off" and fault is None and prefer and select_mode(prefer) is Mode.ASYNC:
            await self._answer_async(send, b, outcome, record, faults.received_at(scope))
            return
        if outcome.delay:
            await _sleep_since(faults.received_at(scope), outcome.delay)
        transport = faults.transport_of(scope)
        if fault in faults.CONNECTION_FAULTS:
            await self._fault(fault, transport, receive, send, record)
            return
        record.status = outcome.status
        body, content_type = await self._send(send, b, outcome, fault, transport)
        self._webhook(b, outcome, record, body, content_type)

    async def _send(self, send, b: Behaviour, outcome: Outcome, fault: str | None, transport) -> tuple[bytes, str]:
        """Send the response; returns the body and Content-Type it had (for the webhook)."""
        if outcome.status in NO_BODY_STATUSES:
            await send_bytes(send, outcome.status, b"", None, outcome.headers)
            return b"", outcome.content_type
        if fault == "drip":
            await faults.drip(send, outcome, b.drip_duration, transport)
            return outcome.body, outcome.content_type
        if b.stream is not None and not outcome.failing:
            pieces = faults.stream_pieces(b, outcome)
            await faults.stream(send, b, outcome, pieces, transport)
            return b"".join(pieces), faults.stream_content_type(b, outcome)
        await send_bytes(send, outcome.status, outcome.body, outcome.content_type, outcome.headers)
        return outcome.body, outcome.content_type

    async def _fault(self, fault: str, transport, receive, send, record: Arrival) -> None:
        if transport is None:
            # Only when run under a server without the transport extension.
            record.status = 501
            await send_json(send, 501, {"error": "connection faults need the mock-container server", "field": "fault"})
            return
        self.state.stats.faults += 1
        await faults.perform_fault(fault, transport, receive, self.state.settings.max_delay)

    async def _answer_async(self, send, b: Behaviour, outcome: Outcome, record: Arrival,
                            received: float) -> None:
        """`Prefer: respond-async` to an async-aware container: 202 now, work later."""
        task_id = None
        record.status = 202
        if b.async_style == "task-id":
            task_id = self.state.tasks.create()
            await send_json(send, 202, {"task_id": task_id})
        else:
            await send_json(send, 202, {"status": "accepted"})
        self.state.background.spawn(self._work_later(b, outcome, record, task_id, received))

    async def _work_later(self, b: Behaviour, outcome: Outcome, record: Arrival, task_id: str | None,
                          received: float) -> None:
        if outcome.delay:
            await _sleep_since(received, outcome.delay)
        body, content_type = outcome.body, outcome.content_type
        if b.stream is not None and not outcome.failing:
            body = b"".join(faults.stream_pieces(b, outcome))
            content_type = faults.stream_content_type(b, outcome)
        if task_id is not None:
            headers = [(b"content-type", content_type.encode("latin-1")), *outcome.headers]
            self.state.tasks.complete(task_id, TaskResult(outcome.status, headers, body))
        self._webhook(b, outcome, record, body, content_type, task_id)

    def _webhook(self, b: Behaviour, outcome: Outcome, record: Arrival, body: bytes,
                 content_type: str, task_id: str | None = None) -> None:
        if b.webhook_url is None:
            return
        self.state.webhooks.submit(WebhookJob(
            url=b.webhook_url, body=body, content_type=content_type, status=outcome.status,
            seq=record.seq, correlation=b.correlation, task_id=task_id, delay=b.webhook_delay,
            retries=b.webhook_retries, backoff=b.webhook_backoff, secret=b.webhook_secret,
        ))

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
        await send_bytes(send, result.status, result.body, None, result.headers)
