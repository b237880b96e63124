"""CT-MODES-01: which of the gateway's four modes a container works with, end to end behind the reference gateway.

With --through-gateway the container run starts the reference gateway with
the container as its deployment `demo`; this module sends the author's
sample request through it as a client would, once per mode, and says of
each mode "works", "does not" (and why) or "not declared":

- synchronous: the container's answer comes back as it answers directly
  (same status and media type; the body too, unless the container answers
  the same request differently each time);
- respond-async: a 202 with an Id, Completed within T_done, and the stored
  result equals the container's direct answer;
- respond-async-proxy (declared by fire-and-forget): the gateway's 202,
  then the container's webhook call within T_done;
- respond-async-container (declared by fire-and-forget or task-id): the
  container's own answer to `Prefer: respond-async` comes back (status,
  media type, and the body byte for byte or, for per-request ids, the same
  JSON fields).

INFO only: nothing here fails a run. The exchanges of each mode are labelled
with the mode's name in the report.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from conformance.checks.container_context import ContainerContext
from conformance.checks.container_requests import Answer, accepts_for_later, describe, media_type, sample, through_gateway
from conformance.checks.flows import Sent, StatusReading, accepted, read_status, trail
from conformance.judge.verdicts import Blocked, Failure

__all__ = ["MODES", "WORKS", "DOES_NOT", "NOT_DECLARED", "ModeResult", "drive_modes", "observe_modes", "same_shape"]

MODES = ("sync", "respond-async", "respond-async-proxy", "respond-async-container")
WORKS, DOES_NOT, NOT_DECLARED = "works", "does not", "not declared"


class DoesNotWork(Exception):
    """A mode does not work end to end; the message says what happened instead."""


@dataclass
class ModeResult:
    mode: str
    verdict: str
    evidence: str
    exchanges: list[int] = field(default_factory=list)  # seq numbers in the check's record


def declared(ctx: ContainerContext, mode: str) -> str | None:
    """Why the container is not expected to take part in `mode` (None: it is)."""
    supports = ctx.container_config.supports
    if mode == "respond-async-proxy" and "fire-and-forget" not in supports:
        return "--supports does not list fire-and-forget"
    if mode == "respond-async-container" and not supports & {"fire-and-forget", "task-id"}:
        return "--supports lists no async style (fire-and-forget or task-id)"
    return None


def same_shape(one: bytes, other: bytes) -> bool:
    """The same bytes, or two JSON objects with the same field names (a task id differs per request)."""
    if one == other:
        return True
    try:
        first, second = json.loads(one), json.loads(other)
    except ValueError:
        return False
    return isinstance(first, dict) and isinstance(second, dict) and first.keys() == second.keys()


@dataclass
class _Direct:
    """What the modes compare with: the container's direct answer, and whether it answers alike each time."""

    answer: Answer
    deterministic: bool | None = None  # learnt from the synchronous mode; None until then


async def _sync(ctx: ContainerContext, direct: _Direct) -> str:
    response = await through_gateway(ctx, "synchronous, through the gateway")
    _count(ctx, None, response.status_code, "synchronous, through the gateway")
    answer = direct.answer
    if (response.status_code, media_type(response)) != (answer.status, answer.media_type):
        raise DoesNotWork(f"through the gateway it answered {describe(response)}; directly {answer.describe()}")
    direct.deterministic = response.content == answer.response.content
    alike = "byte for byte" if direct.deterministic else "same status and media type (the body differs: the " \
                                                         "container answers the same request differently each time)"
    return f"{response.status_code} ({answer.media_type or 'no Content-Type'}) came back as the container answers " \
           f"directly, {alike}"


async def _respond_async(ctx: ContainerContext, direct: _Direct) -> str:
    config = ctx.container_config
    started = ctx.clock()
    response = await through_gateway(ctx, "respond-async, through the gateway", prefer="respond-async")
    sent = Sent(response=response, url=str(response.request.url), path=config.path, query="", method="POST",
                body=config.body, content_type=config.content_type, latency=ctx.clock() - started, correlation="")
    try:
        acc = accepted(ctx, sent)
    except Blocked:
        raise DoesNotWork(f"the gateway answered {describe(response)}, not 202 with Id, StatusPath and "
                          "ResultPath") from None
    assert ctx.through is not None
    readings: list[StatusReading] = []
    while True:
        status = await ctx.through.request("GET", acc.status_url, headers=[("X-Inference-Id", acc.id)],
                                           purpose="status, through the gateway")
        readings.append(read_status(status, ctx.clock()))
        if readings[-1].problem or readings[-1].completed or ctx.clock() >= acc.accepted_at + config.t_done:
            break
        await asyncio.sleep(config.poll_interval)  # the status route has no long-poll: a bounded poll
    if not readings[-1].completed:
        raise DoesNotWork(f"{acc.id} was not Completed within T_done = {config.t_done:g} s: {trail(readings)}")
    result = await ctx.through.request("GET", acc.result_url, headers=[("X-Inference-Id", acc.id)],
                                       purpose="result, through the gateway")
    # the gateway called the container without the Prefer: a 202 there means work for later (a webhook call)
    _count(ctx, None, result.status_code, "respond-async, through the gateway (stored answer)")
    answer = direct.answer
    if (result.status_code, media_type(result)) != (answer.status, answer.media_type):
        raise DoesNotWork(f"the stored result is {describe(result)}; the container answers directly "
                          f"{answer.describe()}")
    if result.content != answer.response.content and direct.deterministic is not False:
        raise DoesNotWork(f"the stored result differs from the direct answer: {describe(result)}; directly "
                          f"{answer.describe()}")
    return (f"202 with Id {acc.id}, Completed ({trail(readings)}); the stored result equals the direct answer "
            f"({result.status_code}, {answer.media_type or 'no Content-Type'})")


async def _proxy(ctx: ContainerContext, direct: _Direct) -> str:
    config = ctx.container_config
    sink = ctx.sink
    assert sink is not None
    deploy_time = config.webhook_mode == "deploy-time"
    key = None if deploy_time else ctx.correlation("proxy-mode")
    if deploy_time:  # the calls of earlier accepted requests first, so the order is the container's
        earlier = await sink.calls(None, ctx.accepted.calls_expected, config.t_done)
        ctx.accepted.surplus += max(len(earlier) - ctx.accepted.calls_expected, 0)
    response = await through_gateway(ctx, "respond-async-proxy, through the gateway", prefer="respond-async-proxy",
                                     webhook_key=key)
    if response.status_code != 202:
        raise DoesNotWork(f"the gateway answered {describe(response)}, not 202")
    acked_at = ctx.clock()
    # the container got Prefer: respond-async from the gateway: the call it makes is matched to this request
    number = ctx.accepted.add("respond-async-proxy, through the gateway") if deploy_time else 1
    calls = await sink.calls(key, number, acked_at + config.t_done - ctx.clock())
    if len(calls) < number:
        where = sink.fixed_url if key is None else sink.url(key)
        raise DoesNotWork(f"the gateway answered 202, but no webhook call reached {where} within "
                          f"T_done = {config.t_done:g} s")
    delivery = calls[number - 1]
    return (f"the gateway answered 202 at once; the container then called its webhook ({delivery.method}, "
            f"{delivery.body_size} bytes)")


async def _container(ctx: ContainerContext, direct: _Direct) -> str:
    key = ctx.correlation("container-mode-direct") if ctx.container_config.webhook_mode == "request" else None
    own = await sample(ctx, "respond-async, direct (what the container-mode answer is compared with)",
                       prefer="respond-async", webhook_key=key)
    if not 200 <= own.status < 300:
        raise DoesNotWork(f"the container answers Prefer: respond-async with {own.describe()}, not 2xx")
    key = ctx.correlation("container-mode") if key is not None else None
    response = await through_gateway(ctx, "respond-async-container, through the gateway",
                                     prefer="respond-async-container", webhook_key=key)
    _count(ctx, "respond-async", response.status_code, "respond-async-container, through the gateway")
    if (response.status_code, media_type(response)) != (own.status, own.media_type) or \
            not same_shape(response.content, own.response.content):
        raise DoesNotWork(f"through the gateway: {describe(response)}; the container's own answer to "
                          f"respond-async: {own.describe()}")
    return f"the container's own {response.status_code} ({own.media_type or 'no Content-Type'}) came back: " \
           f"{describe(response)}"


def _count(ctx: ContainerContext, prefer: str | None, status: int, label: str) -> None:
    """A request the container saw through the gateway, counted when it was accepted for later work."""
    if accepts_for_later(prefer, status):
        ctx.accepted.add(label)


DRIVERS = {"sync": _sync, "respond-async": _respond_async, "respond-async-proxy": _proxy,
           "respond-async-container": _container}


async def drive_modes(ctx: ContainerContext, answer: Answer) -> list[ModeResult]:
    """Each mode in turn, one request at a time; a mode that breaks never stops the next one."""
    direct = _Direct(answer)
    results = []
    for mode in MODES:
        why_not = declared(ctx, mode)
        if why_not is not None:
            results.append(ModeResult(mode, NOT_DECLARED, why_not))
            continue
        with ctx.case(mode):
            try:
                result = ModeResult(mode, WORKS, await DRIVERS[mode](ctx, direct))
            except DoesNotWork as exc:
                result = ModeResult(mode, DOES_NOT, str(exc))
            except Failure as failure:  # no answer (from the gateway or the container)
                result = ModeResult(mode, DOES_NOT, failure.reason)
        result.exchanges = ctx.transcript.seqs(mode)
        results.append(result)
    return results


def summary(results: list[ModeResult]) -> str:
    """`works: sync, respond-async; does not: respond-async-proxy; not declared: respond-async-container`."""
    groups: dict[str, list[str]] = {}
    for result in results:
        groups.setdefault(result.verdict, []).append(result.mode)
    return "; ".join(f"{verdict}: {', '.join(groups[verdict])}" for verdict in (WORKS, DOES_NOT, NOT_DECLARED)
                     if verdict in groups)


def observe_modes(ctx: ContainerContext, results: list[ModeResult]) -> None:
    """The INFO verdict: one line for the table, each mode's verdict, evidence and exchanges in the data."""
    data: dict[str, Any] = {
        "modes": {r.mode: r.verdict for r in results},
        "evidence": {r.mode: r.evidence for r in results},
        "exchanges": {r.mode: r.exchanges for r in results},
    }
    ctx.observe("CT-MODES-01", summary(results), **data)
    for result in results:
        ctx.note("CT-MODES-01", f"{result.mode}: {result.verdict}: {result.evidence}")
