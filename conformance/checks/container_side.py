"""The container side (CT-*): what a container must do to work behind an async gateway.

Judged by `conformance container` directly against the author's container:
the suite sends what a gateway would send (the author's sample request; no
`Prefer`; unknown `Prefer` values; `Prefer: respond-async` for the async
styles the author declared) and watches side effects through a webhook sink
it runs itself (the mock container's: conformance/runs/container/sink.py).
With --through-gateway it also drives the gateway's four modes in front of
the container (CT-MODES-01, container_modes.py).

Every check here runs in the engine's "exclusive" phase, one at a time and
in this order: a container is often a single worker, so one check's traffic
would otherwise change another's verdict (an ack judged against T_accept
while a slow synchronous request holds the worker), and the malformed-input
check runs last so a container it crashes has been judged on everything else.
Sending one request at a time is also what lets calls to a deploy-time
webhook target be matched to requests by order (container_context.py).

Health comes first and is judged from the wait the run did before any
check (conformance/runs/container/ready.py); when the container never got
ready, the other checks are not judged (skipped, naming CT-HEALTH-01).
"""

from __future__ import annotations

import json
from typing import Any

from conformance.checks import check
from conformance.checks.container_context import ContainerContext, ContainerSink
from conformance.checks.container_modes import drive_modes, observe_modes
from conformance.checks.container_requests import ask, require_declared, require_ready, sample
from conformance.judge.container_config import ContainerConfig
from conformance.judge.verdicts import Blocked, Failure, NotApplicable, expect, show
from mock_container.client import Delivery

__all__ = ["UNKNOWN_PREFER", "MALFORMED_JSON", "identifier_fields"]

#: Prefer values a container does not know: the contract's examples, a value of
#: GW-PREF-03's list, a made-up token and a near miss (GW-PREF-04: not respond-async)
UNKNOWN_PREFER = ("wait=5", "return=minimal", "handling=lenient", "x-conformance-unknown=1", "respond-asyncx")
MALFORMED_JSON = b'{"prompt": "unterminated'


def _config(ctx: ContainerContext) -> ContainerConfig:
    return ctx.container_config


@check("CT-HEALTH-01", phase="exclusive")
async def health_route_ready(ctx: ContainerContext) -> None:
    """Before any check, polls `GET {--health-path}` until it answers 200 (at most --ready-timeout), then asks once more.

    Expects 200 once the container is ready; reports how long that took and what it answered while starting.
    """
    config = _config(ctx)
    readiness = config.readiness
    if readiness is None:
        raise Blocked("not judged: the run did not wait for the health route")
    with ctx.judge("CT-HEALTH-01"):
        hint = " (is --health-path right?)" if readiness.last.startswith("404") else ""
        expect(readiness.ready,
               f"GET {config.health_path} never answered 200 within --ready-timeout = {readiness.timeout:g} s{hint}",
               expected="200 once the container is ready",
               actual=f"{readiness.probes} probes: {readiness.trail}; last: {readiness.last}")
        answer = await ask(ctx, "GET", config.health_path, purpose="health, once ready")
        expect(answer.status == 200, f"GET {config.health_path} answered 200 once, then {answer.status}",
               expected=200, actual=answer.describe())
        ctx.note("CT-HEALTH-01", f"ready after {readiness.waited:.2f} s ({readiness.trail})",
                 ready_after=round(readiness.waited, 3), probes=readiness.probes)


@check("CT-SYNC-01", phase="exclusive")
async def answers_without_prefer(ctx: ContainerContext) -> None:
    """Sends the sample request (--body, --content-type) to --path with no `Prefer` header.

    Expects a 2xx answer: what a gateway relays in synchronous mode and stores for respond-async.
    """
    require_ready(ctx)
    with ctx.judge("CT-SYNC-01"):
        answer = await sample(ctx, "sample request, no Prefer")
        expect(200 <= answer.status < 300, f"the sample request without Prefer was answered {answer.status}",
               expected="a 2xx answer", actual=answer.describe())
        ctx.note("CT-SYNC-01", f"answered {answer.status} ({answer.media_type or 'no Content-Type'}) in {answer.latency:.3f} s",
                 status=answer.status, latency=round(answer.latency, 3))


@check("CT-SYNC-02", phase="exclusive")
async def unknown_prefer_ignored(ctx: ContainerContext) -> None:
    """Sends the sample request without `Prefer`, then once with each of `wait=5`, `return=minimal`,
    `handling=lenient`, a made-up token and the near miss `respond-asyncx`.

    Expects each to be answered like the request without `Prefer`: the same status code and media type
    (bodies may differ: inference need not be deterministic).
    """
    require_ready(ctx)
    try:
        baseline = await sample(ctx, "sample request, no Prefer (baseline)")
    except Failure as failure:
        raise Blocked(f"not judged: {failure.reason} (judged by CT-SYNC-01)") from None
    if not 200 <= baseline.status < 300:
        raise Blocked(f"not judged: the sample request without Prefer was answered {baseline.status} "
                      "(judged by CT-SYNC-01)")
    for value in UNKNOWN_PREFER:
        with ctx.judge("CT-SYNC-02", case=f"Prefer: {value}"):
            answer = await sample(ctx, f"sample request, unknown Prefer: {value}", prefer=value)
            expect(answer.status == baseline.status,
                   f"answered {answer.status} with Prefer: {value} but {baseline.status} without Prefer",
                   expected=f"{baseline.status}, as without Prefer", actual=answer.describe())
            expect(answer.media_type == baseline.media_type,
                   f"answered {answer.media_type} with Prefer: {value} but {baseline.media_type} without Prefer",
                   expected=baseline.media_type, actual=answer.media_type)
    ctx.note("CT-SYNC-02", f"{len(UNKNOWN_PREFER)} unknown Prefer values: each answered like no Prefer "
             f"({baseline.status} {baseline.media_type or 'without Content-Type'})")


@check("CT-ASYNC-01", phase="exclusive")
async def acks_then_calls_webhook(ctx: ContainerContext) -> None:
    """Only with `--supports fire-and-forget`: sends the sample request with `Prefer: respond-async`, the URL of the
    suite's webhook sink in --webhook-field or --webhook-header; with neither, the container calls the URL it was
    started with (a deploy-time target: the console and `{sink_url}` give it).

    Expects a 2xx within T_accept, then one call to that webhook within T_done of the ack, and no second one
    within half a second. Calls to a deploy-time target carry nothing to tell them apart, so they are matched to
    the requests the container accepted (answered 202, or 2xx to respond-async) by order, the checks sending one
    request at a time: a call for no accepted request, or a second call for one, fails too.
    """
    require_declared(ctx, "fire-and-forget")
    require_ready(ctx)
    config = _config(ctx)
    sink = ctx.sink
    assert sink is not None
    deploy_time = config.webhook_mode == "deploy-time"
    key = None if deploy_time else ctx.correlation("fire-and-forget")
    if deploy_time:
        await _calls_for_no_request(ctx, sink)
    with ctx.step("CT-ASYNC-01", case="ack") as acked:
        answer = await sample(ctx, "respond-async, fire-and-forget", prefer="respond-async", webhook_key=key)
    if not acked.ok:
        return
    acked_at = ctx.clock()
    with ctx.judge("CT-ASYNC-01", case="ack"):
        expect(200 <= answer.status < 300, f"respond-async was answered {answer.status}, not 2xx",
               expected="2xx within T_accept", actual=answer.describe())
        expect(answer.latency <= config.t_accept,
               f"respond-async was answered after {answer.latency:.2f} s, more than T_accept = {config.t_accept:g} s",
               expected=f"2xx within {config.t_accept:g} s", actual=f"{answer.latency:.2f} s: {answer.describe()}")
    if answer.accepted is None:
        return  # not acknowledged: no work to wait for
    number = answer.accepted if deploy_time else 1  # which call under the key is this submission's
    with ctx.step("CT-ASYNC-01", case="webhook") as called:
        calls = await sink.calls(key, number, acked_at + config.t_done - ctx.clock())
        if len(calls) < number:
            raise Failure(await _no_call(ctx, sink, key, number, len(calls)),
                          expected=f"a call to {sink.fixed_url if key is None else sink.url(key)}",
                          actual=_calls_seen(calls),
                          exchanges=ctx.transcript.seqs("ack") + ctx.transcript.seqs("webhook"))
        delivery = calls[number - 1]
        ctx.note("CT-ASYNC-01", f"acked {answer.status} in {answer.latency:.3f} s; webhook {delivery.method} "
                 f"({delivery.content_type or 'no Content-Type'}, {delivery.body_size} bytes)"
                 + (f"; matched by order: call {number} to the sink, for accepted request {len(ctx.accepted)}"
                    if deploy_time else ""),
                 ack_latency=round(answer.latency, 3), webhook_method=delivery.method,
                 webhook_target="deploy-time" if deploy_time else "per request")
    if not called.ok:
        return
    with ctx.judge("CT-ASYNC-01", case="one call per request"):
        more = await sink.calls(key, number + 1, config.duplicate_window)
        if deploy_time:
            ctx.accepted.surplus += max(len(more) - number, 0)
        expect(len(more) <= number,
               f"the webhook was called again within {config.duplicate_window:g} s of this submission's call: "
               + (f"{len(more) - number + 1} calls for it (matched by order, a receiver of a deploy-time webhook "
                  "cannot tell a second call from the call of another request)" if deploy_time
                  else f"{len(more)} calls for one submission"),
               expected="one call per accepted request", actual=_calls_seen(more[number - 1:]))


async def _calls_for_no_request(ctx: ContainerContext, sink: ContainerSink) -> None:
    """Deploy-time target, before the submission: the calls of earlier accepted requests have come (waited for
    up to T_done, so the order is the container's), and there is no more of them than accepted requests."""
    config = _config(ctx)
    book = ctx.accepted
    expected = book.calls_expected
    calls = await sink.calls(None, expected, config.t_done)
    surplus = len(calls) - expected
    book.surplus += max(surplus, 0)  # matched from here on past them, whatever the verdict
    with ctx.judge("CT-ASYNC-01", case="no call for no request"):
        expect(surplus <= 0,
               f"the webhook was called {len(calls)} time(s) before the respond-async submission, for {len(book)} "
               "request(s) the container had accepted (answered 202, or 2xx to respond-async): a second call for one "
               "request, or a call for none (e.g. at start-up, or for a synchronous answer); matched by order, a "
               "receiver of a deploy-time webhook cannot tell them apart",
               expected=f"at most {len(book)} call(s)", actual=_calls_seen(calls))


async def _no_call(ctx: ContainerContext, sink: ContainerSink, key: str | None, number: int, seen: int) -> str:
    """Why the awaited call is missing, and where calls went instead (a wrong path lands in the sink's journal)."""
    config = _config(ctx)
    if key is not None:
        told = f"--webhook-field {config.webhook_field}" if config.webhook_field else f"--webhook-header {config.webhook_header}"
        reason = f"no call reached the webhook URL it was given ({told}) within T_done = {config.t_done:g} s of the ack"
    elif seen == 0:
        reason = (f"no call reached the webhook URL it was started with ({sink.fixed_url}) within "
                  f"T_done = {config.t_done:g} s of the ack")
    else:
        reason = (f"the container accepted {len(ctx.accepted)} requests (answered 202, or 2xx to respond-async) but "
                  f"called its webhook {seen} time(s) by T_done = {config.t_done:g} s after the last ack: matched by "
                  f"order, this submission's call (number {number}) never came")
    elsewhere = [entry.describe() for entry in await sink.stray_requests()]
    if elsewhere:
        reason += (f"; the sink got {len(elsewhere)} request(s) outside {sink.told}/_mock/webhooks/ instead, e.g. "
                   f"{elsewhere[0]}")
    return reason


def _calls_seen(calls: list[Delivery]) -> str:
    if not calls:
        return "none"
    shown = "; ".join(f"#{d.seq} {d.method} {d.path} ({d.body_size} bytes) {show(d.body.decode('utf-8', 'replace'), 80)}"
                      for d in calls[:5])
    return f"{len(calls)} call(s): {shown}" + (" ..." if len(calls) > 5 else "")


def identifier_fields(document: Any, prefix: str = "") -> dict[str, Any]:
    """JSON string (non-empty) and number fields of an answer, nested objects as dotted paths.

    A bare JSON string or number is its own field, `(body)`.
    """
    if not prefix and _is_identifier(document):
        return {"(body)": document}
    found: dict[str, Any] = {}
    if isinstance(document, dict):
        for name, value in document.items():
            path = f"{prefix}{name}"
            if isinstance(value, dict):
                found.update(identifier_fields(value, path + "."))
            elif _is_identifier(value):
                found[path] = value
    return found


def _is_identifier(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return (isinstance(value, str) and value != "") or isinstance(value, (int, float))


@check("CT-ASYNC-02", phase="exclusive")
async def returns_task_id(ctx: ContainerContext) -> None:
    """Only with `--supports task-id`: sends the sample request with `Prefer: respond-async` three times, one after another.

    Expects each answered 2xx within T_accept with a JSON body, and a JSON string or number field
    (at any depth of nested objects) whose value differs across the three: the task id.
    """
    require_declared(ctx, "task-id")
    require_ready(ctx)
    config = _config(ctx)
    documents: list[Any] = []
    for number in range(1, config.id_requests + 1):
        with ctx.judge("CT-ASYNC-02", case=f"request {number}"):
            answer = await sample(ctx, f"respond-async, id-returning ({number})", prefer="respond-async",
                                  webhook_key=ctx.correlation(f"task-{number}"))
            expect(200 <= answer.status < 300, f"respond-async was answered {answer.status}, not 2xx",
                   expected="2xx within T_accept", actual=answer.describe())
            expect(answer.latency <= config.t_accept,
                   f"respond-async was answered after {answer.latency:.2f} s, more than T_accept = {config.t_accept:g} s",
                   expected=f"2xx within {config.t_accept:g} s", actual=f"{answer.latency:.2f} s")
            try:
                documents.append(json.loads(answer.response.content))
            except ValueError:
                raise Failure("the answer to respond-async is not JSON, so it holds no JSON id field",
                              expected="a JSON body with an id field", actual=answer.describe()) from None
    if len(documents) < config.id_requests:
        return  # an answer without a JSON body already failed above
    with ctx.judge("CT-ASYNC-02", case="identifier"):
        fields = [identifier_fields(document) for document in documents]
        common = [path for path in fields[0] if all(path in f for f in fields)]
        distinct = [path for path in common if len({json.dumps(f[path]) for f in fields}) == len(fields)]
        expect(distinct, f"no JSON string or number field differs across the {len(fields)} answers",
               expected="a field (e.g. task_id) whose value differs per request",
               actual=" | ".join(show(json.dumps(d), 150) for d in documents))
        best = sorted(distinct, key=lambda path: "id" not in path.lower())[0]
        ctx.note("CT-ASYNC-02", f"identifier field {best!r}: {', '.join(show(str(f[best]), 40) for f in fields)}",
                 identifier_field=best)


@check("CT-MODES-01", phase="exclusive")
async def modes_behind_the_gateway(ctx: ContainerContext) -> None:
    """Only with `--through-gateway`: puts the container behind an embedded reference gateway and sends the
    sample request as a client would in each mode: synchronously; with `Prefer: respond-async` (then polls
    the status route and reads the stored result); with `respond-async-proxy` (with the webhook URL, as for
    CT-ASYNC-01); with `respond-async-container`.

    Observes which modes work end to end: synchronous when the container's answer comes back as it answers
    directly; respond-async when the stored result equals the direct answer; respond-async-proxy (declared
    by fire-and-forget) when its webhook is called; respond-async-container (declared by either async style)
    when its own answer to respond-async comes back. Never fails the run (INFO).
    """
    if ctx.through is None:
        raise NotApplicable("not observed: pass --through-gateway to put the container behind an embedded "
                            "reference gateway and try the four modes")
    require_ready(ctx)
    try:
        direct = await sample(ctx, "sample request, no Prefer (the direct answer the modes are compared with)")
    except Failure as failure:
        raise Blocked(f"not observed: {failure.reason} (judged by CT-SYNC-01)") from None
    if not 200 <= direct.status < 300:
        raise Blocked(f"not observed: the sample request without Prefer was answered {direct.status} "
                      "(judged by CT-SYNC-01)")
    observe_modes(ctx, await drive_modes(ctx, direct))


def _wrong_type(config: ContainerConfig) -> str:
    return "application/octet-stream" if config.content_type.lower().startswith("text/plain") else "text/plain"


@check("CT-ROBUST-01", phase="exclusive")
async def malformed_input_rejected(ctx: ContainerContext) -> None:
    """Sends to --path invalid JSON (as application/json), the sample body under a wrong Content-Type, and an
    empty body; then `GET {--health-path}`.

    Expects a 4xx (not a 5xx, not a success) for each, and the health route still answering 200.
    """
    require_ready(ctx)
    config = _config(ctx)
    cases = [
        ("invalid JSON", MALFORMED_JSON, "application/json"),
        ("wrong content type", config.body, _wrong_type(config)),
        ("empty body", b"", config.content_type),
    ]
    seen = []
    for label, body, content_type in cases:
        with ctx.judge("CT-ROBUST-01", case=label):
            answer = await ask(ctx, "POST", config.path, purpose=f"malformed input: {label}", body=body,
                               content_type=content_type)
            seen.append(f"{label} -> {answer.status}")
            expect(answer.status < 500, f"{label} ({content_type}) was answered {answer.status}, a server error",
                   expected="a 4xx", actual=answer.describe())
            expect(400 <= answer.status < 500, f"{label} ({content_type}) was accepted: answered {answer.status}",
                   expected="a 4xx", actual=answer.describe())
    with ctx.judge("CT-ROBUST-01", case="healthy afterwards"):
        answer = await ask(ctx, "GET", config.health_path, purpose="health after malformed input")
        expect(answer.status == 200, f"GET {config.health_path} answered {answer.status} after the malformed input",
               expected=200, actual=answer.describe())
    ctx.note("CT-ROBUST-01", f"{', '.join(seen)}; health 200 afterwards")
