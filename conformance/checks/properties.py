"""Property checks: hypothesis generates the cases, each property names the requirements it judges.

The hand-written checks probe the contract's own examples; these search the
space around them (RFC 7240 grammar, encoded paths, binary bodies, any
status a container may answer, sequences of submissions and reads) for a
case the gateway gets wrong. A failing property fails its IDs with the
shrunk example as the reproduction (and that example's exchanges).

Each run is derandomized: a fixed seed (`--seed`), `--examples` per
property, no example database; `--explore` searches ten times longer from
a random seed and keeps failing examples in `--hypothesis-db`. Delays are
0 here (latency is the hand-written checks' business) and every example
has its own correlation, so journal waits end as soon as the request is in.
"""

from __future__ import annotations

import dataclasses

from hypothesis.stateful import run_state_machine_as_test

from conformance.checks import check
from conformance.checks.context import CheckContext
from conformance.checks.flows import (
    NotCompleted,
    accepted,
    arrivals,
    duplicates_after,
    get_result,
    one_arrival,
    prefer_names,
    wait_completed,
)
from conformance.checks.prefer import ASYNC, CONTAINER, PROXY, SYNC, probe
from conformance.contract.prefer import Mode
from conformance.generate.answers import ERROR_STATUSES, SUCCESS_STATUSES
from conformance.checks.relay import RelayCase, answer_problems, header_problems, relay_cases, request_problems, send
from conformance.checks.stateful_model import MODEL_IDS, GatewayModel, model_factory
from conformance.checks.search import Budget, Search, Violation, report, search
from conformance.generate.prefer import PreferCase, prefer_cases, simplified, without_mentions
from conformance.judge.verdicts import Blocked, Failure, show

__all__ = ["prefer_property", "sync_relay_property", "async_result_property", "container_relay_property",
           "stateful_model"]

#: how often an example polls the status route while waiting for Completed (delays are 0 here)
POLL = 0.02
#: the largest container answer a property asks for (past the usual 8 and 64 KiB buffer sizes)
LARGE_ANSWER = 72 * 1024

_MODE_NAMES = {Mode.SYNC: SYNC, Mode.ASYNC: ASYNC, Mode.PROXY: PROXY, Mode.CONTAINER: CONTAINER}


# ------------------------------------------------------------------ Prefer

PREFER_IDS = ("GW-PREF-01", "GW-PREF-02", "GW-PREF-03", "GW-PREF-04", "GW-PREF-05", "GW-PREF-06", "GW-PREF-07")


def _forwarded_unchanged(sent: tuple[str, ...], got: list[str] | None) -> bool:
    """The container got the Prefer lines as sent; several lines may be combined into one (RFC 9110 §5.3)."""
    sent_lines = [line.strip(" \t") for line in sent]
    got_lines = [line.strip(" \t") for line in got or []]
    if sent_lines == got_lines:
        return True
    return len(sent_lines) > 1 and any(sep.join(sent_lines) == sep.join(got_lines) for sep in (", ", ","))


async def handled_as(ctx: CheckContext, case: PreferCase) -> str | None:
    """None when the gateway treats the case as it must; else what it did instead."""
    result = await probe(ctx, list(case.lines), raw=case.raw)
    expected = _MODE_NAMES[case.expected]
    if result.mode != expected:
        return f"handled as {result.mode}: {result.evidence}"
    if case.expected is Mode.SYNC and not _forwarded_unchanged(case.lines, result.container_prefer):
        return f"handled synchronously, but the container got Prefer lines {result.container_prefer!r}"
    return None


async def blame(ctx: CheckContext, case: PreferCase) -> tuple[tuple[str, ...], str]:
    """The requirements a failing case fails, pinned down by trying it with variations taken out.

    A value that combines variations (case, whitespace, lists, parameters)
    is failed on a SHOULD only when the same mode name without that
    variation passes: `wait=1, respond-async  ` failing because of the
    trailing whitespace fails GW-PREF-05, not GW-PREF-07. A value that
    selects nothing but mentions a mode fails GW-PREF-04 only when its other
    preferences alone pass; a value that selects a mode fails GW-PREF-04
    when it passes without the other preferences that mention a mode (it
    was one of those that misled the gateway).
    """
    rest = without_mentions(case)
    if case.expected is Mode.SYNC:
        if rest is not None and await handled_as(ctx, rest) is not None:
            return rest.ids, f"it fails without the elements that mention a mode too ({rest.describe()})"
        return case.ids, ""
    if rest is not None and await handled_as(ctx, rest) is None:
        return ("GW-PREF-04",), f"without the other preferences that mention a mode it passes ({rest.describe()})"
    if not {"GW-PREF-06", "GW-PREF-07"} & set(case.ids):
        return case.ids, ""
    bare = simplified(case, keep_case=False, keep_list=False)
    if bare is not None and bare != case and await handled_as(ctx, bare) is not None:
        return bare.ids, f"the mode name alone fails too ({bare.describe()})"
    ids = []
    for rid, keep_case in (("GW-PREF-06", True), ("GW-PREF-07", False)):
        if rid not in case.ids:
            continue
        variant = simplified(case, keep_case=keep_case, keep_list=not keep_case)
        if variant == case or (variant is not None and await handled_as(ctx, variant) is not None):
            ids.append(rid)
    if ids:
        return tuple(ids), ""
    return case.ids, "each variation alone passes: only their combination fails"


async def judge_prefer(ctx: CheckContext, case: PreferCase) -> None:
    wrong = await handled_as(ctx, case)
    if wrong is None:
        return
    ids, why = await blame(ctx, case)
    expected = _MODE_NAMES[case.expected]
    want = f"{expected} mode" + (f", Prefer lines {list(case.lines)!r} at the container" if case.expected is Mode.SYNC else "")
    raise Violation(ids, f"{case.describe()} was not handled as it must be" + (f" ({why})" if why else ""),
                    expected=want, actual=wrong)


@check(*PREFER_IDS)
async def prefer_property(ctx: CheckContext) -> None:
    """Sends generated Prefer headers (RFC 7240 grammar): the three names in any case, with whitespace,
    parameters, lists and several lines; near misses; modes spelled inside other preferences; unrelated ones.

    Expects each value to select the mode the project's parser says it
    selects (MUST or SHOULD as the contract has it), and every value that
    selects none to be handled synchronously and reach the container unchanged.
    """
    result = await search(ctx, "prefer_property", prefer_cases(), lambda case: judge_prefer(ctx, case),
                          ids_of=lambda case: case.ids, describe=PreferCase.describe, budget=Budget.from_config(ctx.config))
    report(ctx, result, PREFER_IDS)


# ------------------------------------------------------------ synchronous

SYNC_IDS = ("GW-SYNC-01", "GW-SYNC-02", "GW-SYNC-03")


def _sync_ids(case: RelayCase) -> tuple[str, str]:
    """(request side, answer side): GET and POST are MUSTs, the other methods SHOULDs."""
    if case.request.method in ("GET", "POST"):
        return "GW-SYNC-01", "GW-SYNC-02"
    return "GW-SYNC-03", "GW-SYNC-03"


async def relayed_wrong(ctx: CheckContext, case: RelayCase) -> tuple[str, str, str, str] | None:
    """None when the relay was exact; else (side, what went wrong, expected, actual).

    `side` is "request", "request-headers", "answer" or "answer-headers".
    """
    try:
        sent = await send(ctx, case, purpose="generated synchronous request")
    except Failure as failure:
        return "answer", failure.reason, "an answer", failure.actual or "none"
    entry = await one_arrival(ctx, sent.correlation, ctx.config.request_timeout, "the generated request")
    problems = request_problems(entry, sent)
    if problems:
        return "request", f"the container got the request changed: {'; '.join(problems)}", "the request as sent", entry.describe()
    problems = request_problems(entry, sent, case.request.headers)
    if problems:
        return ("request-headers", f"custom request headers did not reach the container: {'; '.join(problems)}",
                f"headers {list(case.request.headers)!r}", entry.describe())
    problems = answer_problems(sent.response, case.answer)
    if problems:
        return ("answer", f"the client got the container's answer changed: {'; '.join(problems)}",
                case.answer.describe(), f"{sent.status} {show(sent.response.content, 80)}")
    problems = header_problems(sent.response, case.answer)
    if problems:
        return ("answer-headers", f"custom response headers did not reach the client: {'; '.join(problems)}",
                f"headers {list(case.answer.headers)!r}", f"{list(sent.response.headers.items())!r}")
    return None


async def judge_sync(ctx: CheckContext, case: RelayCase) -> None:
    wrong = await relayed_wrong(ctx, case)
    if wrong is None:
        return
    side, reason, expected, actual = wrong
    if side.endswith("headers"):
        raise Violation(("GW-SYNC-03",), reason, expected=expected, actual=actual)
    request_id, answer_id = _sync_ids(case)
    rid = request_id if side == "request" else answer_id
    if rid == "GW-SYNC-03":
        # PUT, PATCH or DELETE: is it the method (a SHOULD) or the relay itself (a MUST)?
        method = "POST" if case.request.body or case.request.content_type else "GET"
        twin = dataclasses.replace(case, request=dataclasses.replace(case.request, method=method))
        again = await relayed_wrong(ctx, twin)
        if again is not None and again[0] == side:
            rid = "GW-SYNC-01" if side == "request" else "GW-SYNC-02"
            reason += f" (the same request as {method} fails too)"
    raise Violation((rid,), reason, expected=expected, actual=actual)


def _sync_judges(case: RelayCase) -> tuple[str, ...]:
    ids = list(dict.fromkeys(_sync_ids(case)))
    if (case.request.headers or case.answer.headers) and "GW-SYNC-03" not in ids:
        ids.append("GW-SYNC-03")
    return tuple(ids)


@check(*SYNC_IDS)
async def sync_relay_property(ctx: CheckContext) -> None:
    """Sends generated requests without Prefer: every method, nested and percent-encoded paths (`%2F` included),
    query strings, binary and text bodies, content types, custom headers; the container answers generated
    statuses (2xx, 4xx, 5xx), bodies (up to 72 KiB), content types and headers.

    Expects the container to get the request exactly as sent (paths equal
    after RFC 3986 normalization, queries as decoded pairs) and the client
    to get the container's status, body bytes, Content-Type and headers.
    """
    result = await search(ctx, "sync_relay_property", relay_cases(large=LARGE_ANSWER), lambda case: judge_sync(ctx, case),
                          ids_of=_sync_judges, describe=RelayCase.describe, budget=Budget.from_config(ctx.config))
    report(ctx, result, SYNC_IDS)


# ------------------------------------------------------------ respond-async

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


# ----------------------------------------------------- respond-async-container

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


# ------------------------------------------------------------ the stateful model

#: one run of the model sends about `steps` requests, so it gets fewer runs than a property gets examples
MODEL_SHARE = 0.3
MODEL_STEPS = 12


async def sweep_duplicates(ctx: CheckContext, machines: list[GatewayModel]) -> Violation | None:
    """After the search: a fire-and-forget request delivered twice, in any run, once the settle time has passed.

    Each run watched its own requests for a moment; this catches a second
    delivery that came later. The reproduction is that run's sequence.
    """
    runs = [(machine, proxy) for machine in machines for proxy in machine.run.proxies]
    if not runs:
        return None
    last = runs[-1][1]
    extra = await duplicates_after(ctx, last.correlation, 1)
    for machine, proxy in runs:
        count = 1 + len(extra) if proxy is last else len(await ctx.mock.journal(proxy.correlation))
        if count > 1:
            violation = Violation(("GW-PROXY-03",), f"{proxy.correlation} ({proxy.body!r}) reached the container {count} times",
                                  expected="exactly once", actual=f"{count} times")
            violation.example = machine.program()
            violation.exchanges = ctx.transcript.seqs(machine.label)
            return violation
    return None


@check(*MODEL_IDS)
async def stateful_model(ctx: CheckContext) -> None:
    """Runs a hypothesis state machine: respond-async and fire-and-forget submissions (bodies from a small set,
    so they repeat), status and result reads of known Ids in any order, waits for completion, unknown Ids.

    Expects Ids never reused (ASYNC-06), valid statuses (STATUS-01) that
    never go back (STATUS-02) and reach Completed (STATUS-03), every 2xx
    result the echo of its own submission (RESULT-05) and the same when read
    again (RESULT-03), 404 for unknown Ids (STATUS-04, RESULT-06), and each
    fire-and-forget request delivered once with Prefer: respond-async (PROXY-03).
    """
    budget = dataclasses.replace(Budget.from_config(ctx.config, share=MODEL_SHARE), steps=MODEL_STEPS)
    run = Search(ctx, "stateful_model", budget)
    machines: list[GatewayModel] = []
    factory = run.seeded(model_factory(run, ctx, machines))
    result = await run.run(lambda: run_state_machine_as_test(factory, settings=run.settings()))
    if not any("GW-PROXY-03" in v.rids for v in result.violations):
        late = await sweep_duplicates(ctx, machines)
        if late is not None:
            result.violations.append(late)
    report(ctx, result, MODEL_IDS)
