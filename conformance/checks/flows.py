"""Steps many checks share: send a probe, follow an async submission, read the journal.

Nothing here judges a requirement by itself. Steps that a check needs as a
precondition raise `Blocked` naming the requirement that covers the step,
so a broken submission shows up once (under its own ID), not as a cascade.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import httpx

from conformance.contract import prefer
from conformance.contract.status import COMPLETED, STATUS_NAMES
from conformance.checks.context import CheckContext
from conformance.checks.client import GatewayClient
from conformance.checks.instrument import InstrumentError, JournalEntry, MockControl
from conformance.judge.unchanged import RequestShape, differences
from conformance.judge.verdicts import Blocked, Failure, show
from mock_container.fields import encode_query

__all__ = [
    "STATUS_NAMES",
    "Sent",
    "Accepted",
    "StatusReading",
    "mock_query",
    "send",
    "accepted",
    "route_refusals",
    "submit_async",
    "read_status",
    "get_status",
    "poll_status",
    "wait_completed",
    "NotCompleted",
    "trail",
    "get_result",
    "arrivals",
    "one_arrival",
    "duplicates_after",
    "request_mismatches",
    "prefer_names",
    "seq",
    "require_slow_container",
    "record_container_side",
]



def require_slow_container(ctx: CheckContext) -> None:
    """A 202 within T_accept proves nothing when the container is faster than T_accept anyway."""
    if ctx.config.delay <= ctx.config.t_accept:
        raise Blocked(f"not judged: D = {ctx.config.delay:g} s must exceed T_accept = {ctx.config.t_accept:g} s "
                      "to tell a gateway that waits for the container from one that does not")


def seq(response: Any) -> list[int]:
    """The exchange seq of a response, for pointing a failure at it."""
    number = getattr(response, "extensions", {}).get("conformance_seq")
    return [number] if number is not None else []


def mock_query(correlation: str, **fields: Any) -> list[tuple[str, str]]:
    """Query parameters asking the mock for a behaviour (`delay=2` -> `mock-delay=2`), written by the mock's
    own field declarations (mock_container.fields), so the suite cannot spell a field the mock reads otherwise.

    The query string is the channel gateways MUST forward in every mode.
    """
    return encode_query(correlation=correlation, **fields)


@dataclass
class Sent:
    """A request the check sent to the gateway and what came back."""

    response: httpx.Response
    url: str  # the URL the request went to, as sent
    path: str  # the path below the inference base, as the container should see it
    query: str  # the query string as sent
    method: str
    body: bytes
    content_type: str | None
    latency: float  # seconds from sending to the whole response
    correlation: str

    @property
    def status(self) -> int:
        return self.response.status_code


async def send(
    ctx: CheckContext,
    method: str,
    path: str,
    *,
    correlation: str,
    prefer_values: Sequence[str] | str | None = None,
    body: bytes = b"",
    content_type: str | None = None,
    query: Sequence[tuple[str, str]] = (),
    mock: dict[str, Any] | None = None,
    headers: Sequence[tuple[str, str]] = (),
    client: GatewayClient | None = None,
    purpose: str | None = None,
    timeout: float | None = None,
) -> Sent:
    """Send one inference request carrying the correlation in the query and in X-Mock-Correlation."""
    client = client or ctx.gateway
    values = [prefer_values] if isinstance(prefer_values, str) else list(prefer_values or [])
    all_headers = [("X-Mock-Correlation", correlation), *[("Prefer", v) for v in values], *headers]
    if content_type is not None:
        all_headers.append(("Content-Type", content_type))
    url = client.url(path, [*query, *mock_query(correlation, **(mock or {}))])
    started = asyncio.get_running_loop().time()
    response = await client.request(method, url, headers=all_headers, content=body, purpose=purpose, timeout=timeout)
    latency = asyncio.get_running_loop().time() - started
    sent_url = response.request.url
    return Sent(
        response=response,
        url=str(sent_url),
        path="/" + path.lstrip("/"),
        query=sent_url.query.decode("ascii", "replace"),
        method=method,
        body=body,
        content_type=content_type,
        latency=latency,
        correlation=correlation,
    )


@dataclass
class Accepted:
    """A respond-async submission the gateway accepted, with its routes resolved."""

    sent: Sent
    id: str
    status_path: str
    result_path: str
    status_url: str
    result_url: str
    accepted_at: float  # the run's clock when the 202 arrived

    @property
    def response(self) -> httpx.Response:
        return self.sent.response


def route_refusals(ctx: CheckContext, sent_url: str, document: Any) -> list[str]:
    """Why the StatusPath or ResultPath of an accept document will not be followed (conformance.http.origins).

    An absolute URL on another origin than the gateway's is followed only
    when the user allows it (`--allow-origin`), and never with the run's
    headers: the gateway picks these URLs, and a hostile one would
    otherwise receive the credentials (judged under GW-ASYNC-02: the accept
    document names routes the client cannot safely use).
    """
    problems = []
    for name in ("StatusPath", "ResultPath"):
        value = document.get(name) if isinstance(document, dict) else None
        if isinstance(value, str) and value:
            problem = ctx.gateway.refusal(urljoin(sent_url, value), name)
            if problem:
                problems.append(problem)
    return problems


def accepted(ctx: CheckContext, sent: Sent) -> Accepted:
    """The accept document of a respond-async submission; Blocked when there is none.

    StatusPath and ResultPath are URI references resolved against the URL
    of the accepted request (RFC 3986), so absolute paths, relative paths
    and absolute URLs all work; one on another origin only when the user
    allows it (`route_refusals`).
    """
    response = sent.response
    where = "the respond-async submission"
    if response.status_code != 202:
        raise Blocked(f"{where} was answered {response.status_code}, not 202 (judged by GW-ASYNC-01)")
    try:
        document = response.json()
    except ValueError:
        raise Blocked(f"{where}'s 202 body is not JSON (judged by GW-ASYNC-02)") from None
    fields = {}
    for name in ("Id", "StatusPath", "ResultPath"):
        value = document.get(name) if isinstance(document, dict) else None
        if not isinstance(value, str) or not value:
            raise Blocked(f"{where}'s 202 body has no usable {name} (judged by GW-ASYNC-02)")
        fields[name] = value
    refusals = route_refusals(ctx, sent.url, document)
    if refusals:
        raise Blocked(f"{where}'s routes are not followed: {refusals[0]} (judged by GW-ASYNC-02)")
    return Accepted(
        sent=sent,
        id=fields["Id"],
        status_path=fields["StatusPath"],
        result_path=fields["ResultPath"],
        status_url=urljoin(sent.url, fields["StatusPath"]),
        result_url=urljoin(sent.url, fields["ResultPath"]),
        accepted_at=ctx.clock(),
    )


async def submit_async(
    ctx: CheckContext,
    correlation: str,
    *,
    path: str = "/v1/infer",
    body: bytes | None = None,
    content_type: str = "application/json",
    mock: dict[str, Any] | None = None,
    headers: Sequence[tuple[str, str]] = (),
    client: GatewayClient | None = None,
    purpose: str = "respond-async submission",
) -> Accepted:
    """POST with `Prefer: respond-async`; Blocked unless accepted with a usable document."""
    if body is None:
        body = json.dumps({"prompt": f"conformance {correlation}"}).encode()
    sent = await send(
        ctx, "POST", path, correlation=correlation, prefer_values="respond-async", body=body,
        content_type=content_type, mock=mock, headers=headers, client=client, purpose=purpose,
    )
    return accepted(ctx, sent)


@dataclass
class StatusReading:
    """One answer of the status route, decoded as far as it goes."""

    response: httpx.Response
    at: float
    document: Any = None
    value: Any = None  # Status as given
    rank: int | None = None  # 0..3
    encoding: str | None = None  # "names" or "integers"
    problem: str | None = None  # why this is not a valid status object (GW-STATUS-01)
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def completed(self) -> bool:
        return self.rank == COMPLETED

    def describe(self) -> str:
        if self.problem:
            return self.problem
        return f"Status {self.value!r}"


def read_status(response: httpx.Response, at: float) -> StatusReading:
    reading = StatusReading(response, at)
    if response.status_code != 200:
        reading.problem = f"the status route answered {response.status_code} {show(response.text, 200)}"
        return reading
    try:
        document = response.json()
    except ValueError:
        reading.problem = f"the status body is not JSON: {show(response.text, 200)}"
        return reading
    reading.document = document
    if not isinstance(document, dict):
        reading.problem = f"the status body is not a JSON object: {show(response.text, 200)}"
        return reading
    reading.fields = document
    value = document.get("Status", "<missing>")
    reading.value = value
    if isinstance(value, str) and value in STATUS_NAMES:
        reading.rank, reading.encoding = STATUS_NAMES.index(value), "names"
    elif isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3:
        reading.rank, reading.encoding = value, "integers"
    else:
        reading.problem = (
            f"Status is {value!r}: not one of {', '.join(STATUS_NAMES)} nor an integer 0-3" if value != "<missing>"
            else f"the status object has no Status field: {show(response.text, 200)}"
        )
    return reading


async def get_status(ctx: CheckContext, acc: Accepted, *, client: GatewayClient | None = None) -> StatusReading:
    client = client or ctx.gateway
    response = await client.request("GET", acc.status_url, headers=[("X-Inference-Id", acc.id)], purpose="status")
    return read_status(response, ctx.clock())


async def poll_status(ctx: CheckContext, acc: Accepted, *, until: float, interval: float | None = None) -> list[StatusReading]:
    """Poll until Completed, an invalid answer, or the run's clock reaches `until`.

    The status route has no long-poll, so this is the one bounded poll loop.
    """
    interval = interval or ctx.config.poll_interval
    readings: list[StatusReading] = []
    while True:
        reading = await get_status(ctx, acc)
        readings.append(reading)
        if reading.problem or reading.completed or ctx.clock() >= until:
            return readings
        await asyncio.sleep(min(interval, max(until - ctx.clock(), 0.0)))


class NotCompleted(Blocked):
    """The request did not reach Completed within T_done (a precondition here, judged by GW-STATUS-03)."""

    def __init__(self, acc: Accepted, readings: list[StatusReading], t_done: float) -> None:
        self.trail = trail(readings)
        self.t_done = t_done
        super().__init__(f"{acc.id} was not Completed within T_done = {t_done:g} s (judged by GW-STATUS-03); "
                         f"statuses seen: {self.trail}")


def trail(readings: list[StatusReading]) -> str:
    """`'Queue' ×3 -> 'Completed' ×2`: the statuses seen, repeats collapsed."""
    runs: list[list] = []
    for reading in readings:
        label = repr(reading.value) if not reading.problem else "invalid"
        if runs and runs[-1][0] == label:
            runs[-1][1] += 1
        else:
            runs.append([label, 1])
    return " -> ".join(label if count == 1 else f"{label} ×{count}" for label, count in runs)


async def wait_completed(ctx: CheckContext, acc: Accepted, *, interval: float | None = None) -> list[StatusReading]:
    """Poll until Completed; Blocked (naming GW-STATUS-01/03) when the route is broken or too slow."""
    readings = await poll_status(ctx, acc, until=acc.accepted_at + ctx.config.t_done, interval=interval)
    last = readings[-1]
    if last.problem:
        raise Blocked(f"the status route of {acc.id} gave no valid status (judged by GW-STATUS-01): {last.problem}")
    if not last.completed:
        raise NotCompleted(acc, readings, ctx.config.t_done)
    return readings


async def get_result(ctx: CheckContext, acc: Accepted, *, client: GatewayClient | None = None, headers: bool = True) -> httpx.Response:
    client = client or ctx.gateway
    return await client.request(
        "GET", acc.result_url, headers=[("X-Inference-Id", acc.id)] if headers else [], purpose="result"
    )


async def arrivals(ctx: CheckContext, correlation: str, count: int, timeout: float) -> list[JournalEntry]:
    """Journal entries of `correlation` once `count` arrived (fewer if `timeout` passed first)."""
    return await ctx.mock.wait_journal(correlation, count, timeout)


async def one_arrival(ctx: CheckContext, correlation: str, timeout: float, what: str) -> JournalEntry:
    """The first journal entry of `correlation`; Failure when none arrives in time."""
    entries = await arrivals(ctx, correlation, 1, timeout)
    if not entries:
        raise Failure(
            f"the container never received {what} (correlation {correlation}) within {timeout:g} s",
            expected="one request in the mock container's journal",
            actual="none",
        )
    return entries[0]


async def duplicates_after(ctx: CheckContext, correlation: str, expected: int, wait: float | None = None) -> list[JournalEntry]:
    """Entries beyond the `expected` count that arrive within `wait` (default: the settle time)."""
    entries = await arrivals(ctx, correlation, expected + 1, ctx.config.settle if wait is None else wait)
    return entries[expected:]


def prefer_names(entry: JournalEntry) -> list[str]:
    """The preference names (lower-cased) in every Prefer line the container got."""
    return [p.key for p in prefer.parse(entry.header_values("prefer"))]


def arrived_shape(entry: JournalEntry) -> RequestShape:
    """What reached the container, in the terms of the one "unchanged" rule."""
    return RequestShape(entry.method, entry.path, entry.query, entry.body_size, entry.body_sha256, entry.content_type,
                        entry.headers)


def sent_shape(sent: Sent, headers: Sequence[tuple[str, str]] = ()) -> RequestShape:
    return RequestShape.sent(sent.method, sent.path, sent.query, sent.body, sent.content_type, headers)


def request_mismatches(entry: JournalEntry, sent: Sent, headers: Sequence[tuple[str, str]] = ()) -> list[str]:
    """How the request the container got differs from the one sent (conformance.judge.unchanged says how)."""
    return differences(sent_shape(sent, headers), arrived_shape(entry), [name for name, _ in headers])


#: async submissions per check whose container side is looked up for the report's timelines
TIMELINE_LOOKUPS = 8


async def record_container_side(ctx: CheckContext, timeout: float = 2.0) -> None:
    """After a check: read the journal of its async submissions that it did not read itself.

    Only for the report: each request's timeline shows when the container
    received it. Never judges and never fails a check; the lookups are
    recorded like any mock exchange.
    """
    if not isinstance(getattr(ctx, "mock", None), MockControl):
        return  # a run without the mock container (e.g. a container run): nothing to look up
    seen = {entry.key for record in ctx.transcript.exchanges for entry in record.mock_entries or ()}
    wanted: list[str] = []
    for record in ctx.transcript.exchanges:
        if record.target not in ("gateway", "other-gateway"):
            continue
        headers = record.request.headers
        correlation = next((value for name, value in headers if name.lower() == "x-mock-correlation"), None)
        mode = prefer.select_mode([value for name, value in headers if name.lower() == "prefer"])
        if correlation and mode in (prefer.Mode.ASYNC, prefer.Mode.PROXY) and correlation not in seen | set(wanted):
            wanted.append(correlation)
    try:
        async with asyncio.timeout(timeout):
            for correlation in wanted[:TIMELINE_LOOKUPS]:
                await ctx.mock.journal(correlation)
    except (InstrumentError, TimeoutError):
        pass  # a missing point on a timeline is no verdict
