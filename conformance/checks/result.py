"""The result route (GW-RESULT-*), followed from each accept document's ResultPath."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid

import httpx

from conformance.checks import check
from conformance.checks.context import CheckContext
from conformance.checks.flows import (
    Accepted,
    NotCompleted,
    StatusReading,
    get_result,
    get_status,
    seq,
    submit_async,
    wait_completed,
)
from conformance.judge.verdicts import Blocked, Failure, expect, show


def describe_body(body: bytes) -> str:
    return f"{len(body)} bytes, sha256 {hashlib.sha256(body).hexdigest()[:16]}…"


async def read_three_times(ctx: CheckContext, acc: Accepted) -> list[httpx.Response]:
    """GET ResultPath three times in a row (a GET must not consume the result)."""
    return [await get_result(ctx, acc) for _ in range(3)]


def judge_repeatable(ctx: CheckContext, reads: list[httpx.Response], case: str) -> None:
    with ctx.judge("GW-RESULT-03", case=case):
        expect(len({(r.status_code, r.content) for r in reads}) == 1, "reading the result again gave another answer",
               expected=f"{reads[0].status_code} with the same {len(reads[0].content)}-byte body three times",
               actual=", ".join(f"{r.status_code} ({describe_body(r.content)})" for r in reads))


@check("GW-RESULT-01", "GW-RESULT-03", "GW-RESULT-08", "GW-RESULT-10")
async def result_of_success(ctx: CheckContext) -> None:
    """Has the container answer 200 with binary bytes and with JSON, each with a custom header; reads each result three times.

    Expects a 2xx with the container's body bytes and Content-Type (01), the
    same status and body on every read (03), the container's
    `X-Container-Note` header (08), and exactly 200 (10).
    """
    ids = ("GW-RESULT-01", "GW-RESULT-03", "GW-RESULT-08", "GW-RESULT-10")

    async def case(label: str, body: bytes, content_type: str) -> None:
        correlation = ctx.correlation("result")
        note = f"note-{correlation}"
        mock = {"body_base64": base64.b64encode(body).decode(), "content_type": content_type,
                "headers": {"X-Container-Note": note}}
        with ctx.step(*ids, case=label) as step:
            acc = await submit_async(ctx, correlation, mock=mock)
            await wait_completed(ctx, acc)
            reads = await read_three_times(ctx, acc)
        if not step.ok:
            return
        first = reads[0]
        with ctx.judge("GW-RESULT-01", case=label):
            expect(200 <= first.status_code < 300, f"the result answered {first.status_code} for a container 200",
                   expected="2xx", actual=f"{first.status_code} {show(first.text, 200)}", exchanges=seq(first))
            expect(first.content == body, "the result's body is not the container's",
                   expected=describe_body(body), actual=f"{describe_body(first.content)} {show(first.content[:60])}",
                   exchanges=seq(first))
            got_type = first.headers.get("content-type")
            expect(got_type == content_type, "the result's Content-Type is not the container's",
                   expected=content_type, actual=got_type, exchanges=seq(first))
        judge_repeatable(ctx, reads, label)
        with ctx.judge("GW-RESULT-08", case=label):
            got = first.headers.get_list("x-container-note")
            expect(got == [note], "the container's custom response header is not in the result",
                   expected=f"X-Container-Note: {note}", actual=got or "absent", exchanges=seq(first))
        with ctx.judge("GW-RESULT-10", case=label):
            expect(first.status_code == 200, f"the result answered {first.status_code} for a container 200",
                   expected=200, actual=first.status_code, exchanges=seq(first))

    await ctx.all(
        case("binary answer", b"\x89PNG\r\n\x1a\n\xff\xfe" + uuid.uuid4().bytes * 8, "image/png"),
        case("JSON answer", json.dumps({"text": "conformance result", "tokens": [1, 2, 3]}).encode(), "application/json"),
    )


def failure_forms(result: httpx.Response, final: StatusReading, container_status: int) -> list[str]:
    """The legal ways a failure stayed visible: the result's status code, the status object's Error."""
    forms = []
    if result.status_code == container_status:
        forms.append("status code")
    error = final.fields.get("Error")
    if isinstance(error, str) and error:
        forms.append("Error")
    return forms


@check("GW-RESULT-02", "GW-RESULT-03", "GW-RESULT-10", "GW-STATUS-03", "GW-STATUS-08")
async def result_of_failure(ctx: CheckContext) -> None:
    """Has the container answer 503 with text, 500 with JSON and 422 with JSON; follows each to Completed and reads the result three times.

    Expects Completed within T_done whatever the container answered
    (STATUS-03); the failure visible as the container's status code on the
    result or a non-empty `Error`, with the container's body kept (02); the
    same answer on every read (03); exactly the container's status code
    (10); a non-empty `Error` after a 5xx (STATUS-08).
    """

    async def case(status: int, body: bytes, content_type: str) -> None:
        label = f"container {status}"
        correlation = ctx.correlation(f"fail{status}")
        mock = {"status": status, "body_base64": base64.b64encode(body).decode(), "content_type": content_type}
        with ctx.step("GW-RESULT-02", "GW-RESULT-03", "GW-RESULT-10", "GW-STATUS-08", "GW-STATUS-03", case=label) as step:
            acc = await submit_async(ctx, correlation, mock=mock)
        if not step.ok:
            return
        if not await judged_completion(ctx, acc, "GW-STATUS-03", label):
            for rid in ("GW-RESULT-02", "GW-RESULT-03", "GW-RESULT-10", "GW-STATUS-08"):
                ctx.ledger.skip(rid, f"[{label}] the request was not Completed in time (judged by GW-STATUS-03)")
            return
        with ctx.step("GW-RESULT-02", "GW-RESULT-03", "GW-RESULT-10", "GW-STATUS-08", case=label) as step:
            final = await get_status(ctx, acc)  # before the reads: a gateway that consumes results must not hide Error
            if final.problem:
                raise Blocked(f"the status route gave no valid status (judged by GW-STATUS-01): {final.problem}")
            reads = await read_three_times(ctx, acc)
        if not step.ok:
            return
        first = reads[0]
        forms = failure_forms(first, final, status)
        with ctx.judge("GW-RESULT-02", case=label):
            expect(forms, f"the container's {status} is not visible: the result answered {first.status_code} and Error is "
                   f"{final.fields.get('Error')!r}", expected=f"result status {status}, or a non-empty Error",
                   actual=f"result {first.status_code}, Error {final.fields.get('Error')!r}", exchanges=seq(first))
            expect(first.content == body, "the container's failure body was not kept in the result",
                   expected=describe_body(body), actual=f"{describe_body(first.content)} {show(first.content[:60])}",
                   exchanges=seq(first))
            form = " and ".join(forms)
            ctx.note("GW-RESULT-02", f"failure visibility: {form}", failure_visibility=form)
        judge_repeatable(ctx, reads, label)
        with ctx.judge("GW-RESULT-10", case=label):
            expect(first.status_code == status, f"the result answered {first.status_code} for a container {status}",
                   expected=status, actual=first.status_code, exchanges=seq(first))
        if status >= 500:
            with ctx.judge("GW-STATUS-08", case=label):
                error = final.fields.get("Error")
                expect(isinstance(error, str) and error, f"Error is {error!r} after the container answered {status}",
                       expected="Error: a non-empty string", actual=f"Error: {error!r}", exchanges=seq(final.response))

    await ctx.all(
        case(503, f"overloaded \u2013 {uuid.uuid4()}".encode(), "text/plain; charset=utf-8"),
        case(500, json.dumps({"error": "model crashed", "trace": str(uuid.uuid4())}).encode(), "application/json"),
        case(422, json.dumps({"error": "bad input", "field": "prompt"}).encode(), "application/json"),
    )


async def judged_completion(ctx: CheckContext, acc: Accepted, rid: str, case: str) -> bool:
    """Wait for Completed, judging `rid` on it: not Completed within T_done fails `rid`, not a precondition."""
    with ctx.judge(rid, case=case):
        try:
            await wait_completed(ctx, acc)
        except NotCompleted as late:
            raise Failure(f"not Completed within T_done = {late.t_done:g} s of the accept",
                          expected=f"Completed within {late.t_done:g} s", actual=late.trail) from None
        return True
    return False


@check("GW-RESULT-04", "GW-RESULT-07")
async def result_before_completion(ctx: CheckContext) -> None:
    """Submits while the container takes D and reads ResultPath right after a status read that says not Completed.

    Expects anything but 200 (04), and 202 in particular (07). A 202 settles
    both at once (it is never wrong while pending); any other answer counts
    only if a status read after it still says not Completed, so a slow
    gateway is never judged on a read that may have come after completion.
    Up to three submissions are tried.
    """
    for attempt in range(3):
        acc = await submit_async(ctx, ctx.correlation(f"early{attempt}"), mock={"delay": ctx.config.delay})
        before = await get_status(ctx, acc)
        if before.problem:
            raise Blocked(f"the status route gave no valid status (judged by GW-STATUS-01): {before.problem}")
        if before.completed:
            continue  # the gateway was slower than D to answer: try again
        early = await get_result(ctx, acc)
        if early.status_code != 202:
            after = await get_status(ctx, acc)
            if after.completed or after.problem:
                continue  # the read may have come after completion: not evidence either way
        break
    else:
        raise Blocked(f"in three tries the result could not be read while the request was pending (D = {ctx.config.delay:g} s)")
    ctx.note("GW-RESULT-04", f"before Completed the result answered {early.status_code}")
    with ctx.judge("GW-RESULT-04"):
        expect(early.status_code != 200, "the result answered 200 before the request was Completed",
               expected="not 200 while pending", actual=f"200 {show(early.text, 200)} (status {before.value!r})",
               exchanges=seq(early))
    with ctx.judge("GW-RESULT-07"):
        expect(early.status_code == 202, f"the result answered {early.status_code} before the request was Completed",
               expected=202, actual=f"{early.status_code} {show(early.text, 200)}", exchanges=seq(early))


@check("GW-RESULT-06")
async def result_unknown_or_missing_id(ctx: CheckContext) -> None:
    """Learns ResultPath from a respond-async accept, then asks it for a random unknown Id and with no X-Inference-Id.

    Expects 404 for the unknown Id and a 4xx, never 2xx or 5xx, without the header.
    """
    acc = await submit_async(ctx, ctx.correlation("result-ids"))

    async def unknown() -> None:
        with ctx.judge("GW-RESULT-06", case="unknown Id"):
            response = await ctx.gateway.request("GET", acc.result_url, headers=[("X-Inference-Id", str(uuid.uuid4()))],
                                                 purpose="result of an unknown Id")
            expect(response.status_code == 404, f"an unknown Id got {response.status_code}",
                   expected=404, actual=f"{response.status_code} {show(response.text, 200)}")

    async def missing() -> None:
        with ctx.judge("GW-RESULT-06", case="no X-Inference-Id"):
            response = await ctx.gateway.request("GET", acc.result_url, purpose="result without X-Inference-Id")
            expect(400 <= response.status_code < 500, f"a result request without X-Inference-Id got {response.status_code}",
                   expected="4xx", actual=f"{response.status_code} {show(response.text, 200)}")

    await ctx.all(unknown(), missing())


@check("GW-RESULT-05", "GW-STATUS-03", heavy=True)
async def results_isolated(ctx: CheckContext) -> None:
    """Sends N respond-async submissions at once with distinct bodies (the container echoes each, with staggered delays).

    Expects every one Completed within T_done (STATUS-03: a request lost
    under load is judged here, where it happens) and every result to be the
    container's echo of its own submission, named by its correlation (RESULT-05).
    """
    late: list[str] = []

    async def one(k: int) -> str | None:
        correlation = ctx.correlation(f"iso{k}")
        body = json.dumps({"k": k, "nonce": str(uuid.uuid4())}).encode()
        acc = await submit_async(ctx, correlation, body=body, mock={"delay": round(0.05 * (k % 5), 2)},
                                 purpose=f"submission {k}")
        try:
            await wait_completed(ctx, acc, interval=max(ctx.config.poll_interval, 0.2))
        except NotCompleted as missing:
            late.append(f"submission {k} ({acc.id}): {missing.trail}")
            return None
        result = await get_result(ctx, acc)
        try:
            echo = result.json()
        except ValueError:
            echo = None
        # whose answer it is, by the correlation the container echoes; what the container got of the body
        # is GW-ASYNC-07's to judge (the one "unchanged" rule), not isolation's
        owner = echo.get("correlation") if isinstance(echo, dict) else None
        if owner != correlation:
            return f"submission {k} ({acc.id}) got {result.status_code} " + (
                f"the answer to {owner}" if owner else show(result.text, 120)
            )
        return None

    outcomes = await ctx.all(*(one(k) for k in range(ctx.config.n)))
    crossed = [o for o in outcomes if o]
    with ctx.judge("GW-STATUS-03", case=f"{ctx.config.n} concurrent submissions"):
        expect(not late, f"{len(late)} of {ctx.config.n} concurrent submissions were not Completed within "
               f"T_done = {ctx.config.t_done:g} s", expected="every one Completed", actual="; ".join(late[:4]))
    with ctx.judge("GW-RESULT-05"):
        expect(not crossed, f"{len(crossed)} of {ctx.config.n} results were not the answer to their own submission",
               expected="each result the container's echo of its own body", actual="; ".join(crossed[:4]))
        if late:
            raise Blocked(f"{len(late)} of {ctx.config.n} submissions had no result to compare (judged by GW-STATUS-03)")


@check("GW-RESULT-09", "GW-STATUS-08")
async def result_when_container_fails_to_answer(ctx: CheckContext) -> None:
    """Has the container close the connection without answering, and hang without answering.

    Expects each request Completed within T_done with a gateway-made 502 or
    504 result (RESULT-09), and a non-empty `Error` (STATUS-08).
    """

    async def case(fault: str) -> None:
        label = f"container {'closes the connection' if fault == 'close' else 'never answers'}"
        with ctx.step("GW-RESULT-09", "GW-STATUS-08", case=label) as step:
            acc = await submit_async(ctx, ctx.correlation(fault), mock={"fault": fault})
        if not step.ok:
            return
        if not await judged_completion(ctx, acc, "GW-RESULT-09", label):
            ctx.ledger.skip("GW-STATUS-08", f"[{label}] the request was not Completed in time (judged by GW-RESULT-09)")
            return
        with ctx.judge("GW-RESULT-09", case=label):
            result = await get_result(ctx, acc)
            expect(result.status_code in (502, 504), f"the result answered {result.status_code}",
                   expected="a gateway-made 502 or 504", actual=f"{result.status_code} {show(result.text, 200)}",
                   exchanges=seq(result))
            ctx.note("GW-RESULT-09", f"{label}: result {result.status_code}")
        with ctx.judge("GW-STATUS-08", case=label):
            final = await get_status(ctx, acc)
            if final.problem:
                raise Blocked(f"the status route gave no valid status (judged by GW-STATUS-01): {final.problem}")
            error = final.fields.get("Error")
            expect(isinstance(error, str) and error, f"Error is {error!r} after the container failed to answer",
                   expected="Error: a non-empty string", actual=f"Error: {error!r}", exchanges=seq(final.response))

    await ctx.all(case("close"), case("hang"))
