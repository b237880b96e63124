"""Container-returned id, `Prefer: respond-async-container` (GW-CONT-*)."""

from __future__ import annotations

import base64
import json

from conformance.checks import check
from conformance.checks.context import CheckContext
from conformance.checks.flows import duplicates_after, one_arrival, prefer_names, request_mismatches, send
from conformance.judge.verdicts import expect, show

TASK_TYPE = "application/vnd.conformance.task+json"


@check("GW-CONT-01", "GW-CONT-02", "GW-CONT-04")
async def container_answer_relayed(ctx: CheckContext) -> None:
    """Sends a JSON POST with `Prefer: respond-async-container`; the container answers 202 with its own task document.

    Expects the container to get the request unchanged with `Prefer:
    respond-async` and without `respond-async-container` (01), exactly once
    (04), and the client to get the container's 202, body bytes and
    Content-Type (02).
    """
    correlation = ctx.correlation("container")
    task = json.dumps({"task_id": f"task-{correlation}", "status": "accepted"}).encode()
    sent = await send(
        ctx, "POST", "/v1/tasks", correlation=correlation, prefer_values="respond-async-container",
        body=json.dumps({"prompt": "container task"}).encode(), content_type="application/json", query=[("queue", "a")],
        mock={"status": 202, "body_base64": base64.b64encode(task).decode(), "content_type": TASK_TYPE},
        purpose="respond-async-container submission",
    )
    response = sent.response

    with ctx.judge("GW-CONT-02"):
        expect(response.status_code == 202, f"the client got {response.status_code}, not the container's 202",
               expected=202, actual=f"{response.status_code} {show(response.text, 200)}")
        expect(response.content == task, "the client did not get the container's body",
               expected=task.decode(), actual=show(response.text, 200))
        got_type = response.headers.get("content-type")
        expect(got_type == TASK_TYPE, "the client did not get the container's Content-Type", expected=TASK_TYPE, actual=got_type)

    entry = None
    with ctx.judge("GW-CONT-01"):
        entry = await one_arrival(ctx, correlation, ctx.config.request_timeout, "the respond-async-container request")
        names, lines = prefer_names(entry), entry.header_values("prefer")
        expect("respond-async" in names, "the container did not get Prefer: respond-async",
               expected="Prefer: respond-async", actual=f"Prefer lines {lines!r}")
        expect("respond-async-container" not in names, "respond-async-container reached the container",
               expected="Prefer: respond-async", actual=f"Prefer lines {lines!r}")
        problems = request_mismatches(entry, sent)
        expect(not problems, f"the container got the request changed: {'; '.join(problems)}",
               expected="the submission as sent", actual=entry.describe())

    with ctx.judge("GW-CONT-04"):
        if entry is None:
            entry = await one_arrival(ctx, correlation, ctx.config.request_timeout, "the respond-async-container request")
        extra = await duplicates_after(ctx, correlation, 1)
        expect(not extra, f"the container got the request {1 + len(extra)} times", expected="exactly once",
               actual=f"{1 + len(extra)} times")


@check("GW-CONT-03", "GW-CONT-04")
async def container_errors_relayed(ctx: CheckContext) -> None:
    """Has the container answer respond-async-container with 503 text, 400 JSON and 500 with an empty body.

    Expects the client to get each status code, body bytes and Content-Type
    unchanged (03), and the container to get each request once: an error
    answer is relayed, not retried (04).
    """

    async def case(status: int, body: bytes, content_type: str) -> None:
        with ctx.judge("GW-CONT-03", case=f"container {status}"):
            sent = await send(
                ctx, "POST", "/v1/tasks", correlation=ctx.correlation(f"cont{status}"), prefer_values="respond-async-container",
                body=b'{"prompt": "x"}', content_type="application/json", purpose=f"container answers {status}",
                mock={"status": status, "body_base64": base64.b64encode(body).decode(), "content_type": content_type},
            )
            response = sent.response
            expect(response.status_code == status, f"the client got {response.status_code} for the container's {status}",
                   expected=status, actual=f"{response.status_code} {show(response.text, 200)}")
            expect(response.content == body, "the client did not get the container's error body",
                   expected=show(body.decode("utf-8", "replace")), actual=show(response.text, 200))
            got_type = response.headers.get("content-type")
            expect(got_type == content_type, "the client did not get the container's Content-Type",
                   expected=content_type, actual=got_type)
        with ctx.judge("GW-CONT-04", case=f"container {status}"):
            extra = await duplicates_after(ctx, sent.correlation, 1)
            expect(not extra, f"the container got the request {1 + len(extra)} times after answering {status}",
                   expected="exactly once", actual=f"{1 + len(extra)} times")

    await ctx.all(
        case(503, b"queue full, retry later", "text/plain"),
        case(400, json.dumps({"error": "missing field", "field": "prompt"}).encode(), "application/problem+json"),
        case(500, b"", "text/plain"),
    )
