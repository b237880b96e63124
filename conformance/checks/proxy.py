"""Fire-and-forget, `Prefer: respond-async-proxy` (GW-PROXY-*)."""

from __future__ import annotations

import json

from conformance.checks import check
from conformance.checks.context import CheckContext
from conformance.checks.flows import (
    arrivals,
    duplicates_after,
    one_arrival,
    prefer_names,
    request_mismatches,
    require_slow_container,
    send,
)
from conformance.checks.lag import Timing, measure_against, watching_lag
from conformance.judge.verdicts import Blocked, Failure, expect, show


@check("GW-PROXY-01", "GW-PROXY-02", "GW-PROXY-03", "GW-PROXY-04", timed=True)
async def fire_and_forget(ctx: CheckContext) -> None:
    """Sends a JSON POST with `Prefer: respond-async-proxy`; the container takes D, then calls a webhook.

    Expects a 202 with an empty body (01) within T_accept (02); the
    container gets the request within T_done, exactly once, unchanged, with
    `Prefer: respond-async` and without `respond-async-proxy` (03); the
    webhook call is observed at the mock's sink (04). An accept later than
    T_accept by no more than the suite's own lateness is timed again.
    """
    correlation = ctx.correlation("proxy")
    hook = ctx.mock.webhook_url(correlation)
    async with watching_lag() as lag:
        sent = await send(
            ctx, "POST", "/v1/jobs", correlation=correlation, prefer_values="respond-async-proxy",
            body=json.dumps({"job": "fire and forget"}).encode(), content_type="application/json",
            query=[("priority", "low")], mock={"delay": ctx.config.delay, "webhook_url": hook},
            purpose="respond-async-proxy submission",
        )
    ctx.timed_request_sent()
    first_timing = Timing(sent.latency, lag.worst, f"answered {sent.status}")

    async def timing(attempt: int) -> Timing:
        """The first submission's accept latency; then that of another, sent only when the first was unclear."""
        if attempt == 0:
            return first_timing
        async with watching_lag() as again_lag:
            again = await send(ctx, "POST", "/v1/jobs", correlation=ctx.correlation(f"proxy-retimed{attempt}"),
                               prefer_values="respond-async-proxy", body=b'{"job": "timed again"}',
                               content_type="application/json", mock={"delay": ctx.config.delay},
                               purpose="respond-async-proxy submission, timed again")
        return Timing(again.latency, again_lag.worst, f"answered {again.status}")
    response = sent.response

    with ctx.judge("GW-PROXY-01"):
        expect(response.status_code == 202, f"respond-async-proxy was answered {response.status_code}",
               expected=202, actual=f"{response.status_code} {show(response.text, 200)}")
        expect(response.content == b"", "the 202 has a body", expected="an empty body",
               actual=f"{len(response.content)} bytes {show(response.text, 200)}")

    with ctx.judge("GW-PROXY-02"):
        require_slow_container(ctx)
        timed = await measure_against(timing, ctx.config.t_accept)
        expect(timed.verdict != "late", f"the answer took over T_accept while the container takes D = {ctx.config.delay:g} s",
               expected=f"at most T_accept = {ctx.config.t_accept:g} s", actual=timed.describe())
        if timed.verdict == "unclear":
            raise Blocked(f"not judged: the suite ran too late to time the accept: {timed.describe()}")
        if response.status_code != 202:
            raise Blocked(f"the answer came in time but was {response.status_code}, not 202 (judged by GW-PROXY-01)")
        ctx.note("GW-PROXY-02", f"accepted in {timed.readings[-1].seconds * 1000:.0f} ms")

    with ctx.judge("GW-PROXY-03"):
        entry = await one_arrival(ctx, correlation, ctx.config.t_done, "the fire-and-forget request")
        names = prefer_names(entry)
        lines = entry.header_values("prefer")
        expect("respond-async" in names, "the container did not get Prefer: respond-async",
               expected="Prefer: respond-async", actual=f"Prefer lines {lines!r}")
        expect("respond-async-proxy" not in names, "respond-async-proxy reached the container",
               expected="Prefer: respond-async", actual=f"Prefer lines {lines!r}")
        problems = request_mismatches(entry, sent)
        expect(not problems, f"the container got the request changed: {'; '.join(problems)}",
               expected="the submission as sent", actual=entry.describe())
        extra = await duplicates_after(ctx, correlation, 1, wait=ctx.config.delay + ctx.config.settle)
        expect(not extra, f"the container got the request {1 + len(extra)} times", expected="exactly once",
               actual=f"{1 + len(extra)} times")

    with ctx.judge("GW-PROXY-04", case="a container that takes D"):
        deliveries = await ctx.mock.wait_webhooks(correlation, 1, ctx.config.t_done)
        expect(deliveries, "the container's webhook call was never observed", expected=f"a delivery at {hook}",
               actual="none within T_done")

    with ctx.judge("GW-PROXY-04", case="a container that stops its work when the gateway hangs up"):
        await _work_survives_an_acking_container(ctx)


async def _work_survives_an_acking_container(ctx: CheckContext) -> None:
    """A container that answers within T_accept / 2 and, like Go's net/http or an ASGI app that watches
    `http.disconnect`, drops its work when its client hangs up before that answer.

    A gateway that gives the container less than that to answer (fire and forget read as "send the bytes,
    wait for nothing") loses the work. Waiting T_accept is what the contract asks of a container
    (CT-ASYNC-01), so a gateway that waits at least that long passes.
    """
    correlation = ctx.correlation("proxy-cancels")
    hook = ctx.mock.webhook_url(correlation)
    await send(ctx, "POST", "/v1/jobs", correlation=correlation, prefer_values="respond-async-proxy",
               body=b'{"job": "cancelled if the gateway hangs up"}', content_type="application/json",
               mock={"delay": ctx.config.t_accept / 2, "on_disconnect": "cancel", "webhook_url": hook},
               purpose="respond-async-proxy submission to a container that cancels on hang-up")
    deliveries = await ctx.mock.wait_webhooks(correlation, 1, ctx.config.t_done)
    if not deliveries:
        entries = await ctx.mock.journal(correlation)
        cancelled = [e for e in entries if (e.error or {}).get("error") == "cancelled"]
        raise Failure(
            "the container's work never happened: " + (
                "the gateway hung up before the container answered, and the container stopped its work"
                if cancelled else "no webhook call was observed"),
            expected=f"a delivery at {hook} within T_done (the container answers within T_accept / 2)",
            actual=f"none; the container's journal: {[e.describe() for e in entries] or 'no request'}"
                   + (" (cancelled on hang-up)" if cancelled else ""))


@check("GW-PROXY-05", heavy=True)
async def fire_and_forget_none_dropped(ctx: CheckContext) -> None:
    """Sends N respond-async-proxy submissions at once, each body numbered.

    Expects all N accepted and all N numbers at the container within T_done.
    """
    correlation = ctx.correlation("proxy-burst")
    n = ctx.config.n
    sents = await ctx.all(*(
        send(ctx, "POST", "/v1/jobs", correlation=correlation, prefer_values="respond-async-proxy",
             body=json.dumps({"k": k}).encode(), content_type="application/json", purpose=f"submission {k}")
        for k in range(n)
    ))
    refused = [f"{s.status} {show(s.response.text, 80)}" for s in sents if s.status != 202]
    expect(not refused, f"{len(refused)} of {n} submissions were not accepted", expected=f"{n} × 202",
           actual="; ".join(refused[:5]))
    entries = await arrivals(ctx, correlation, n, ctx.config.t_done)
    seen = set()
    for entry in entries:
        try:
            seen.add(json.loads(entry.body)["k"])
        except (ValueError, TypeError, KeyError):
            continue
    missing = sorted(set(range(n)) - seen)
    expect(not missing, f"{len(missing)} of {n} fire-and-forget requests never reached the container",
           expected=f"all {n} at the container within T_done", actual=f"missing numbers {missing[:10]}")
