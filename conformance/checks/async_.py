"""Fully asynchronous mode, `Prefer: respond-async` (GW-ASYNC-*): the accept and the container call."""

from __future__ import annotations

import json
import math
import string
import uuid
from urllib.parse import urljoin

from conformance.checks import check
from conformance.checks.client import NoAnswer
from conformance.checks.context import CheckContext
from conformance.checks.flows import (
    Sent,
    accepted,
    duplicates_after,
    get_result,
    one_arrival,
    prefer_names,
    request_mismatches,
    require_slow_container,
    route_refusals,
    send,
    seq,
    wait_completed,
)
from conformance.checks.lag import Timing, measure_against, watching_lag
from conformance.judge.verdicts import Blocked, expect, show


def accept_document(response) -> dict | None:  # type: ignore[no-untyped-def]
    try:
        document = response.json()
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


@check("GW-ASYNC-01", "GW-ASYNC-02", "GW-ASYNC-03", "GW-ASYNC-04", "GW-ASYNC-05", "GW-ASYNC-07", "GW-ASYNC-08", timed=True)
async def submission_accepted(ctx: CheckContext) -> None:
    """Sends one JSON POST with `Prefer: respond-async` and a query while the container takes D.

    Expects a 202 (01) within T_accept (05) whose JSON body has non-empty
    string Id, StatusPath and ResultPath (02), with `X-Inference-Id: Id`
    (03) and `Location: ResultPath` (04); the container gets the request
    exactly once, unchanged (07), without `respond-async` in its Prefer (08).
    An accept later than T_accept by no more than the suite's own lateness
    (conformance.checks.lag) is timed again on another submission.
    """
    correlation = ctx.correlation("async")
    body = json.dumps({"prompt": "async submission", "max_tokens": 8}).encode()
    async with watching_lag() as lag:
        sent = await send(
            ctx, "POST", "/v1/generate", correlation=correlation, prefer_values="respond-async", body=body,
            content_type="application/json", query=[("model", "conformance"), ("n", "1")],
            mock={"delay": ctx.config.delay}, purpose="respond-async submission",
        )
    ctx.timed_request_sent()
    first_timing = Timing(sent.latency, lag.worst, f"answered {sent.status}")

    async def timing(attempt: int) -> Timing:
        """The first submission's accept latency; then that of another, sent only when the first was unclear."""
        if attempt == 0:
            return first_timing
        async with watching_lag() as again_lag:
            again = await send(ctx, "POST", "/v1/generate", correlation=ctx.correlation(f"async-retimed{attempt}"),
                               prefer_values="respond-async", body=body, content_type="application/json",
                               mock={"delay": ctx.config.delay}, purpose="respond-async submission, timed again")
        return Timing(again.latency, again_lag.worst, f"answered {again.status}")
    response = sent.response
    document = accept_document(response)

    with ctx.judge("GW-ASYNC-01"):
        expect(response.status_code == 202, f"respond-async was answered {response.status_code}",
               expected=202, actual=f"{response.status_code} {show(response.text, 200)}")

    with ctx.judge("GW-ASYNC-02"):
        expect(document is not None, "the 202 body is not a JSON object", expected="a JSON object", actual=show(response.text, 200))
        for name in ("Id", "StatusPath", "ResultPath"):
            value = document.get(name)
            expect(isinstance(value, str) and value, f"the accept document's {name} is not a non-empty string",
                   expected=f"{name}: a non-empty string", actual=f"{name}: {value!r}")
        refusals = route_refusals(ctx, sent.url, document)
        expect(not refusals, f"the accept document names a route the suite will not follow: {'; '.join(refusals)}",
               expected="StatusPath and ResultPath on the gateway's origin, or on an origin allowed with --allow-origin",
               actual="; ".join(f"{name}: {document.get(name)!r}" for name in ("StatusPath", "ResultPath")))

    def field(name: str) -> str:
        value = (document or {}).get(name)
        if not isinstance(value, str) or not value:
            raise Blocked(f"the accept document has no usable {name} (judged by GW-ASYNC-02)")
        return value

    with ctx.judge("GW-ASYNC-03"):
        inference_id = field("Id")
        header = response.headers.get_list("x-inference-id")
        expect(header == [inference_id], "the 202's X-Inference-Id header does not equal Id",
               expected=f"X-Inference-Id: {inference_id}", actual=header or "absent")

    with ctx.judge("GW-ASYNC-04"):
        result_path = field("ResultPath")
        location = response.headers.get_list("location")
        expect(location, "the 202 has no Location header", expected=f"Location: {result_path}", actual="absent")
        if location != [result_path]:
            # a URI reference equal after resolution (e.g. absolute vs relative form) names the same resource
            same = len(location) == 1 and urljoin(sent.url, location[0]) == urljoin(sent.url, result_path)
            expect(same, "the 202's Location header does not equal ResultPath",
                   expected=f"Location: {result_path}", actual=f"Location: {location}")
            ctx.note("GW-ASYNC-04", f"Location {location[0]!r} and ResultPath {result_path!r} differ as text but resolve to the same URL")

    with ctx.judge("GW-ASYNC-05"):
        require_slow_container(ctx)
        timed = await measure_against(timing, ctx.config.t_accept)
        expect(timed.verdict != "late",
               f"the answer took over T_accept while the container takes D = {ctx.config.delay:g} s: the gateway waited",
               expected=f"at most T_accept = {ctx.config.t_accept:g} s", actual=timed.describe())
        if timed.verdict == "unclear":
            raise Blocked(f"not judged: the suite ran too late to time the accept: {timed.describe()}")
        if response.status_code != 202:
            raise Blocked(f"the answer came in time but was {response.status_code}, not a 202 (judged by GW-ASYNC-01)")
        ctx.note("GW-ASYNC-05", f"accepted in {timed.readings[-1].seconds * 1000:.0f} ms")

    entry = None
    with ctx.judge("GW-ASYNC-07"):
        entry = await one_arrival(ctx, correlation, ctx.config.t_done, "the respond-async submission")
        problems = request_mismatches(entry, sent)
        expect(not problems, f"the container got the submission changed: {'; '.join(problems)}",
               expected="the submission as sent", actual=entry.describe())
        # a gateway that re-sends does it at once or after the first answer (D later)
        extra = await duplicates_after(ctx, correlation, 1, wait=ctx.config.delay + ctx.config.settle)
        expect(not extra, f"the container got the submission {1 + len(extra)} times", expected="exactly once",
               actual=f"{1 + len(extra)} times")

    with ctx.judge("GW-ASYNC-08"):
        if entry is None:
            raise Blocked("the container never got the submission (judged by GW-ASYNC-07)")
        expect("respond-async" not in prefer_names(entry), "the container got respond-async in its Prefer header",
               expected="no respond-async preference", actual=f"Prefer lines {entry.header_values('prefer')!r}")


def estimated_bits(ids: list[str]) -> float:
    """Bits of randomness a sample of ids shows: varying positions times bits per character.

    Positions that are the same in every id of the sample (dashes, fixed
    prefixes, UUID version digits) carry none.
    """
    alphabet = set("".join(ids))
    if alphabet <= set(string.digits):
        per_char = math.log2(10)
    elif alphabet <= set(string.hexdigits + "-"):
        per_char = 4.0
    elif alphabet <= set(string.ascii_lowercase + string.digits + "-_"):
        per_char = math.log2(36)
    else:
        per_char = 6.0
    width = min(len(i) for i in ids)
    varying = sum(1 for pos in range(width) if len({i[pos] for i in ids}) > 1)
    return varying * per_char


def sequential(ids: list[str]) -> bool:
    """Ids that are numbers (after a common prefix) close together."""
    prefix = 0
    while all(len(i) > prefix for i in ids) and len({i[prefix] for i in ids}) == 1:
        prefix += 1
    tails = [i[prefix:] for i in ids]
    if not all(t.isdigit() for t in tails):
        return False
    numbers = sorted(int(t) for t in tails)
    return numbers[-1] - numbers[0] < 1000 * len(numbers)


@check("GW-ASYNC-06", "GW-ASYNC-09", heavy=True)
async def ids_unique_and_unguessable(ctx: CheckContext) -> None:
    """Sends N respond-async submissions at once.

    Expects N accepts with N distinct Ids (06); the Ids are not sequential
    and show at least 64 bits of randomness across the sample (09).
    """
    n = ctx.config.n

    async def submit(k: int) -> Sent | str:
        try:
            return await send(ctx, "POST", "/v1/generate", correlation=ctx.correlation(f"id{k}"),
                              prefer_values="respond-async", body=json.dumps({"k": k}).encode(),
                              content_type="application/json", purpose=f"submission {k}")
        except NoAnswer as unanswered:
            # one submission without an answer is GW-ASYNC-06's finding, named; the Ids the others got still judge 09.
            # Its reason, not the exception: ctx.all raises any exception it is handed back
            return unanswered.reason

    sents = await ctx.all(*(submit(k) for k in range(n)))
    ids = []
    refused = []
    for sent in sents:
        if isinstance(sent, str):
            refused.append(sent)
            continue
        document = accept_document(sent.response)
        value = document.get("Id") if document else None
        # the 202 itself is GW-ASYNC-01's; here any 2xx that carries an Id has got one
        if 200 <= sent.status < 300 and isinstance(value, str) and value:
            ids.append(value)
        else:
            refused.append(f"{sent.status} {show(sent.response.text, 80)}")

    with ctx.judge("GW-ASYNC-06"):
        if not ids and not any(isinstance(sent, str) or not 200 <= sent.status < 300 for sent in sents):
            raise Blocked("no accept document carried a usable Id (judged by GW-ASYNC-02)")
        expect(not refused, f"{len(refused)} of {n} concurrent submissions got no Id",
               expected=f"{n} accepts", actual="; ".join(refused[:5]))
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        expect(not duplicated, f"{n} concurrent submissions got only {len(set(ids))} distinct Ids",
               expected=f"{n} distinct Ids", actual=f"repeated: {duplicated[:5]}")

    with ctx.judge("GW-ASYNC-09"):
        if len(set(ids)) < 2:
            raise Blocked("too few distinct Ids to judge (judged by GW-ASYNC-06)")
        expect(not sequential(ids), "the Ids are sequential numbers", expected="unguessable Ids", actual=sorted(ids)[:5])
        bits = estimated_bits(sorted(set(ids)))
        expect(bits >= 64, f"the Ids show about {bits:.0f} bits of randomness across {len(set(ids))} samples",
               expected="at least 64 bits", actual=f"~{bits:.0f} bits, e.g. {sorted(ids)[:3]}")
        ctx.note("GW-ASYNC-09", f"~{bits:.0f} bits of randomness across {len(set(ids))} Ids")


@check("GW-ASYNC-10", "GW-ASYNC-11")
async def client_supplied_id(ctx: CheckContext) -> None:
    """Sends a respond-async submission carrying its own `X-Inference-Id` (a UUID), then the same id again.

    Expects (10) the 202 to use that value as Id in body and header, and
    its status and result to be reachable under it; records (11) what the
    gateway does with the second submission reusing the id.
    """
    own_id = str(uuid.uuid4())
    first = await send(ctx, "POST", "/v1/generate", correlation=ctx.correlation("own-id"), prefer_values="respond-async",
                       body=b'{"prompt": "own id"}', content_type="application/json",
                       headers=[("X-Inference-Id", own_id)], purpose="submission with its own X-Inference-Id")

    with ctx.judge("GW-ASYNC-10"):
        acc = accepted(ctx, first)
        expect(acc.id == own_id, "the client-supplied X-Inference-Id did not become the Id",
               expected=f"Id {own_id}", actual=f"Id {acc.id}")
        header = first.response.headers.get_list("x-inference-id")
        expect(header == [own_id], "the 202's X-Inference-Id is not the client-supplied id",
               expected=own_id, actual=header or "absent")
        await wait_completed(ctx, acc)
        result = await get_result(ctx, acc)
        expect(200 <= result.status_code < 300, f"the result under the client's id answered {result.status_code}",
               expected="2xx with the container's answer", actual=f"{result.status_code} {show(result.text, 200)}",
               exchanges=seq(result))

    second = await send(ctx, "POST", "/v1/generate", correlation=ctx.correlation("own-id-again"),
                        prefer_values="respond-async", body=b'{"prompt": "own id again"}', content_type="application/json",
                        headers=[("X-Inference-Id", own_id)], purpose="second submission reusing the id")
    document = accept_document(second.response) or {}
    if second.status == 202 and document.get("Id") == own_id:
        what = "accepted it again under the same Id (the new request replaces the earlier one)"
    elif second.status == 202 and isinstance(document.get("Id"), str):
        what = f"accepted it under a new Id {document['Id']!r}"
    elif 400 <= second.status < 500:
        what = f"rejected it with {second.status}"
    else:
        what = f"answered {second.status} {show(second.response.text, 60)}"
    ctx.observe("GW-ASYNC-11", f"a second submission reusing X-Inference-Id {own_id}: the gateway {what}",
                status=second.status)
