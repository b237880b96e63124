"""The status route (GW-STATUS-*), followed from each accept document's StatusPath."""

from __future__ import annotations

import uuid

from conformance.checks import check
from conformance.checks.context import CheckContext
from conformance.checks.flows import STATUS_NAMES, StatusReading, get_status, poll_status, seq, submit_async, trail
from conformance.judge.verdicts import Blocked, Failure, expect, show


def record_encoding(ctx: CheckContext, readings: list[StatusReading]) -> None:
    encodings = sorted({r.encoding for r in readings if r.encoding})
    if encodings:
        text = " and ".join(encodings)
        ctx.note("GW-STATUS-01", f"Status encoding: {text}", status_encoding=text)


@check("GW-STATUS-01", "GW-STATUS-02", "GW-STATUS-03", "GW-STATUS-06", "GW-STATUS-07", "GW-STATUS-08")
async def status_lifecycle(ctx: CheckContext) -> None:
    """Submits with `Prefer: respond-async` while the container takes D, polls StatusPath until Completed, then twice more.

    Expects every answer 200 with a JSON object whose Status is a name or an
    integer 0-3 (01); statuses never go back, Completed stays, one encoding
    throughout (02); Completed within T_done (03); `Id` equal to the Id
    (06); names rather than integers (07); `Error` present and null (08).
    """
    acc = await submit_async(ctx, ctx.correlation("status"), mock={"delay": ctx.config.delay})
    readings = await poll_status(ctx, acc, until=acc.accepted_at + ctx.config.t_done)
    if readings[-1].completed:
        for _ in range(2):
            readings.append(await get_status(ctx, acc))
    valid = [r for r in readings if not r.problem]
    record_encoding(ctx, valid)
    seen = trail(readings)

    with ctx.judge("GW-STATUS-01"):
        bad = next((r for r in readings if r.problem), None)
        if bad is not None:
            raise Failure(f"the status route gave an invalid answer: {bad.problem}",
                          expected=f"200 with Status in {STATUS_NAMES} or 0-3", actual=bad.problem,
                          exchanges=seq(bad.response))

    with ctx.judge("GW-STATUS-02"):
        ranks = [r.rank for r in valid]
        expect(all(a <= b for a, b in zip(ranks, ranks[1:])), "the status went backwards",
               expected="Initialized < Queue < Inference < Completed, never back", actual=seen)
        expect(len({r.encoding for r in valid}) <= 1, "one request mixed names and integers",
               expected="one encoding", actual=seen)

    with ctx.judge("GW-STATUS-03"):
        if any(r.problem for r in readings):
            raise Blocked("the status route gave an invalid answer (judged by GW-STATUS-01)")
        done = next((r for r in readings if r.completed), None)
        expect(done is not None, f"not Completed within T_done = {ctx.config.t_done:g} s",
               expected=f"Completed within {ctx.config.t_done:g} s of the accept", actual=seen)
        ctx.note("GW-STATUS-03", f"Completed {done.at - acc.accepted_at:.2f} s after the accept")

    with ctx.judge("GW-STATUS-06"):
        if not valid:
            raise Blocked("no valid status object (judged by GW-STATUS-01)")
        wrong = [r.fields.get("Id", "<absent>") for r in valid if r.fields.get("Id") != acc.id]
        expect(not wrong, "the status object does not carry the request's Id",
               expected=f"Id: {acc.id}", actual=f"Id: {wrong[0]!r}" if wrong else "")

    with ctx.judge("GW-STATUS-07"):
        if not valid:
            raise Blocked("no valid status object (judged by GW-STATUS-01)")
        expect(all(r.encoding == "names" for r in valid), "Status is given as integers, which the provider's client cannot parse",
               expected=f"one of {STATUS_NAMES}", actual=seen)

    with ctx.judge("GW-STATUS-08"):
        if not valid:
            raise Blocked("no valid status object (judged by GW-STATUS-01)")
        for reading in valid:
            expect("Error" in reading.fields, "the status object has no Error field",
                   expected="Error: null", actual=show(reading.response.text, 200))
            expect(reading.fields["Error"] is None, "Error is not null although nothing failed",
                   expected="Error: null", actual=f"Error: {reading.fields['Error']!r}")


@check("GW-STATUS-04", "GW-STATUS-05")
async def status_unknown_or_missing_id(ctx: CheckContext) -> None:
    """Learns StatusPath from a respond-async accept, then asks it for a random unknown Id and with no X-Inference-Id.

    Expects 404 for the unknown Id (04) and a 4xx, never 2xx or 5xx, without the header (05).
    """
    acc = await submit_async(ctx, ctx.correlation("status-ids"))

    async def unknown() -> None:
        with ctx.judge("GW-STATUS-04"):
            response = await ctx.gateway.request("GET", acc.status_url, headers=[("X-Inference-Id", str(uuid.uuid4()))],
                                                 purpose="status of an unknown Id")
            expect(response.status_code == 404, f"an unknown Id got {response.status_code}",
                   expected=404, actual=f"{response.status_code} {show(response.text, 200)}")

    async def missing() -> None:
        with ctx.judge("GW-STATUS-05"):
            response = await ctx.gateway.request("GET", acc.status_url, purpose="status without X-Inference-Id")
            expect(400 <= response.status_code < 500, f"a status request without X-Inference-Id got {response.status_code}",
                   expected="4xx (400 or 404)", actual=f"{response.status_code} {show(response.text, 200)}")
            ctx.note("GW-STATUS-05", f"answered {response.status_code}")

    await ctx.all(unknown(), missing())
