"""The respond-async-container relay as a property (GW-CONT-01..03): generated requests and container answers.

Requests (MUST-level paths, bodies, content types) go with `Prefer:
respond-async-container`; the container answers generated statuses (202
with a task document among them), bodies, content types and headers.
"""

from __future__ import annotations

from conformance.checks import check
from conformance.checks.context import CheckContext
from conformance.checks.flows import arrivals, prefer_names
from conformance.checks.relay import RelayCase, answer_problems, relay_cases, request_problems, send
from conformance.checks.search import Budget, Violation, report, search
from conformance.checks.sync_properties import LARGE_ANSWER
from conformance.generate.answers import ERROR_STATUSES, SUCCESS_STATUSES
from conformance.judge.verdicts import Failure, show

__all__ = ["container_relay_property", "CONTAINER_IDS"]

CONTAINER_IDS = ("GW-CONT-01", "GW-CONT-02", "GW-CONT-03")


async def judge_container(ctx: CheckContext, case: RelayCase) -> None:
    answer_id = "GW-CONT-02" if case.success else "GW-CONT-03"
    try:
        sent = await send(ctx, case, prefer="respond-async-container", purpose="generated respond-async-container request")
    except Failure as failure:
        raise Violation((answer_id,), failure.reason, expected=case.answer.describe(), actual=failure.actual) from None
    entries = await arrivals(ctx, sent.correlation, 1, ctx.config.request_timeout)
    if not entries:
        raise Violation(("GW-CONT-01",), "the container never got the request", expected="the request at the container",
                        actual="not in the journal")
    entry = entries[0]
    names, lines = prefer_names(entry), entry.header_values("prefer")
    problems = request_problems(entry, sent)
    if "respond-async" not in names or "respond-async-container" in names:
        problems.insert(0, f"Prefer lines {lines!r} instead of respond-async")
    if problems:
        raise Violation(("GW-CONT-01",), f"the container got the request changed: {'; '.join(problems)}",
                        expected="the request as sent, with Prefer: respond-async", actual=entry.describe())
    problems = answer_problems(sent.response, case.answer)
    if problems:
        raise Violation((answer_id,), f"the client did not get the container's answer: {'; '.join(problems)}",
                        expected=case.answer.describe(), actual=f"{sent.status} {show(sent.response.content, 80)}")


@check(*CONTAINER_IDS)
async def container_relay_property(ctx: CheckContext) -> None:
    """Sends generated POSTs with `Prefer: respond-async-container`; the container answers generated statuses
    (202 with a task document among them), bodies, content types and headers.

    Expects the container to get the request unchanged with `Prefer:
    respond-async`, and the client to get the container's status, body bytes
    and Content-Type as they are, errors included.
    """
    cases = relay_cases(methods=("POST",), statuses=SUCCESS_STATUSES + (202,) * 4 + ERROR_STATUSES, large=LARGE_ANSWER)
    result = await search(
        ctx, "container_relay_property", cases, lambda case: judge_container(ctx, case),
        ids_of=lambda case: ("GW-CONT-02" if case.success else "GW-CONT-03", "GW-CONT-01"),
        describe=RelayCase.describe, budget=Budget.from_config(ctx.config),
    )
    report(ctx, result, CONTAINER_IDS)
