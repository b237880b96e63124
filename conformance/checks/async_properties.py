"""The respond-async lifecycle as a property: generated submissions, each followed to its result.

Submissions (MUST-level paths, queries, bodies, content types; the
container answers generated statuses, bodies up to 72 KiB, content types and
headers at once) judge the accept (GW-ASYNC-01, 02), the container's copy
(GW-ASYNC-07), the status route on the way (GW-STATUS-01, 03) and the
result (GW-RESULT-01, 02, 08, 10). The property lives with the
respond-async section, whose lifecycle it follows into the status and
result routes.
"""

from __future__ import annotations

from conformance.checks import check
from conformance.checks.context import CheckContext
from conformance.checks.flows import NotCompleted, accepted, arrivals, get_result, wait_completed
from conformance.checks.relay import RelayCase, answer_problems, header_problems, relay_cases, request_problems, send
from conformance.checks.search import Budget, Violation, report, search
from conformance.checks.sync_properties import LARGE_ANSWER
from conformance.judge.verdicts import Blocked, Failure, show

__all__ = ["async_result_property", "ASYNC_RESULT_IDS"]

#: how often an example polls the status route while waiting for Completed (delays are 0 here)
POLL = 0.02

ASYNC_RESULT_IDS = ("GW-ASYNC-01", "GW-ASYNC-02", "GW-ASYNC-07", "GW-STATUS-01", "GW-STATUS-03",
                    "GW-RESULT-01", "GW-RESULT-02", "GW-RESULT-08", "GW-RESULT-10")


async def judge_async(ctx: CheckContext, case: RelayCase) -> None:
    try:
        sent = await send(ctx, case, prefer="respond-async", purpose="generated respond-async submission")
    except Failure as failure:
        raise Violation(("GW-ASYNC-01",), failure.reason, expected=202, actual=failure.actual) from None
    if sent.status != 202:
        raise Violation(("GW-ASYNC-01",), f"the submission was answered {sent.status}", expected=202,
                        actual=f"{sent.status} {show(sent.response.text, 120)}")
    try:
        acc = accepted(ctx, sent)
    except Blocked as blocked:
        raise Violation(("GW-ASYNC-02",), blocked.reason, expected="a JSON object with Id, StatusPath, ResultPath",
                        actual=show(sent.response.text, 200)) from None
    try:
        readings = await wait_completed(ctx, acc, interval=POLL)
    except NotCompleted as late:
        raise Violation(("GW-STATUS-03",), f"not Completed within T_done = {late.t_done:g} s",
                        expected="Completed", actual=late.trail) from None
    except (Blocked, Failure) as broken:
        raise Violation(("GW-STATUS-01",), broken.reason) from None
    entries = await arrivals(ctx, sent.correlation, 1, ctx.config.t_done)
    if not entries:
        raise Violation(("GW-ASYNC-07",), "the container never got the submission, yet it was Completed",
                        expected="the submission at the container", actual="not in the journal")
    problems = request_problems(entries[0], sent)
    if problems:
        raise Violation(("GW-ASYNC-07",), f"the container got the submission changed: {'; '.join(problems)}",
                        expected="the submission as sent", actual=entries[0].describe())
    answer = case.answer
    rid = "GW-RESULT-01" if case.success else "GW-RESULT-02"
    try:
        result = await get_result(ctx, acc)
    except Failure as failure:
        raise Violation((rid,), failure.reason, expected=answer.describe(), actual=failure.actual) from None
    problems = answer_problems(result, answer)
    if case.success:
        body_or_type = [p for p in problems if not p.startswith("status")]
        if not 200 <= result.status_code < 300 or body_or_type:
            raise Violation((rid,), f"the result is not the container's answer: {'; '.join(problems)}",
                            expected=answer.describe(), actual=f"{result.status_code} {show(result.content, 80)}")
    else:
        error = readings[-1].fields.get("Error")
        visible = result.status_code == answer.status or (isinstance(error, str) and error)
        if not visible or result.content != answer.body:
            raise Violation((rid,), "the container's failure is not kept: "
                            + "; ".join(problems + ([] if visible else [f"Error {error!r}"])),
                            expected=f"{answer.describe()} (or its body with a non-empty Error)",
                            actual=f"{result.status_code} {show(result.content, 80)}, Error {error!r}")
    if result.status_code != answer.status:
        raise Violation(("GW-RESULT-10",), f"the result answered {result.status_code} for the container's {answer.status}",
                        expected=answer.status, actual=result.status_code)
    problems = header_problems(result, answer)
    if problems:
        raise Violation(("GW-RESULT-08",), f"custom container headers are not in the result: {'; '.join(problems)}",
                        expected=f"headers {list(answer.headers)!r}", actual=f"{list(result.headers.items())!r}")


def _async_judges(case: RelayCase) -> tuple[str, ...]:
    ids = ["GW-ASYNC-01", "GW-ASYNC-02", "GW-ASYNC-07", "GW-STATUS-01", "GW-STATUS-03",
           "GW-RESULT-01" if case.success else "GW-RESULT-02", "GW-RESULT-10"]
    return tuple(ids + (["GW-RESULT-08"] if case.answer.headers else []))


@check(*ASYNC_RESULT_IDS)
async def async_result_property(ctx: CheckContext) -> None:
    """Submits generated POSTs with `Prefer: respond-async` (encoded paths, queries, bodies, content types);
    the container answers generated statuses, bodies (up to 72 KiB), content types and headers at once.

    Expects each submission accepted with a usable document, the container
    to get it unchanged, Completed within T_done, and the result to be the
    container's answer: its body and Content-Type with a 2xx for a 2xx, its
    failure visible with its body kept, exactly its status, its headers.
    """
    cases = relay_cases(methods=("POST",), large=LARGE_ANSWER)
    result = await search(ctx, "async_result_property", cases, lambda case: judge_async(ctx, case),
                          ids_of=_async_judges, describe=RelayCase.describe, budget=Budget.from_config(ctx.config))
    report(ctx, result, ASYNC_RESULT_IDS)
