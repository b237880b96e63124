"""The synchronous relay as a property (GW-SYNC-01, 02, 03, 05): generated requests and answers, relayed exactly.

Requests (`conformance.generate.requests`, with GW-SYNC-05's edges) go
through the gateway without `Prefer`; the container answers generated
statuses, bodies, content types and headers. A case the gateway gets wrong
is blamed by sending its *twin*: the same request without the parts only a
SHOULD judges (a method other than GET and POST: GW-SYNC-03; a path with
an encoded reserved character or an empty segment: GW-SYNC-05). When the
twin passes, the SHOULD is failed; when it fails the same way, the MUST
(GW-SYNC-01 for what the container got, GW-SYNC-02 for what the client
got). So a gateway that decodes `%2F` or merges `//` fails GW-SYNC-05
alone, as the contract's "Levels" paragraph asks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

from conformance.checks import check
from conformance.checks.context import CheckContext
from conformance.checks.flows import one_arrival
from conformance.checks.relay import RelayCase, answer_problems, header_problems, relay_cases, request_problems, send
from conformance.checks.search import Budget, Violation, report, search
from conformance.generate.requests import MUST_METHODS
from conformance.judge.verdicts import Failure, show

__all__ = ["sync_relay_property", "blame_relay", "twin_without", "edges_of", "SYNC_IDS", "LARGE_ANSWER"]

SYNC_IDS = ("GW-SYNC-01", "GW-SYNC-02", "GW-SYNC-03", "GW-SYNC-05")
#: the largest container answer a property asks for (past the usual 8 and 64 KiB buffer sizes)
LARGE_ANSWER = 72 * 1024
#: what a side of the relay fails when nothing but the MUST is at stake
MUST_OF_SIDE = {"request": "GW-SYNC-01", "answer": "GW-SYNC-02"}
#: the SHOULD each edge of a request is judged under
EDGE_IDS = {"method": "GW-SYNC-03", "path": "GW-SYNC-05"}

#: which side of the relay a case got wrong ("request", "answer", ...), or None
WrongSide = Callable[[RelayCase], Awaitable[str | None]]


def edges_of(case: RelayCase) -> frozenset[str]:
    """The parts of the case's request only a SHOULD judges."""
    found = set()
    if case.request.method not in MUST_METHODS:
        found.add("method")
    if case.request.path_edges:
        found.add("path")
    return frozenset(found)


def twin_without(case: RelayCase, edges: frozenset[str]) -> RelayCase:
    """The case with `edges` taken out: GET or POST for the method, the plain twin for the path."""
    request = case.request
    if "method" in edges:
        request = dataclasses.replace(request, method="POST" if request.body or request.content_type else "GET")
    if "path" in edges and request.plain_path is not None:
        request = dataclasses.replace(request, path=request.plain_path, plain_path=None)
    return dataclasses.replace(case, request=request)


async def blame_relay(case: RelayCase, side: str, wrong_side: WrongSide) -> tuple[tuple[str, ...], str]:
    """The IDs a case that went wrong on `side` ("request" or "answer") fails, and why, as a phrase."""
    edges = edges_of(case)
    must = MUST_OF_SIDE[side]
    if not edges:
        return (must,), ""
    plain = twin_without(case, edges)
    if await wrong_side(plain) == side:
        return (must,), f"the same request without its {' and '.join(sorted(edges))} edge fails too ({plain.request.describe()})"
    if len(edges) == 1:
        (edge,) = edges
        return (EDGE_IDS[edge],), f"the same request with a plain {edge} passes ({plain.request.describe()})"
    ids = [EDGE_IDS[edge] for edge in sorted(edges) if await wrong_side(twin_without(case, edges - {edge})) == side]
    if ids:
        return tuple(ids), ""
    return tuple(EDGE_IDS[edge] for edge in sorted(edges)), "each edge alone passes: only their combination fails"


async def relayed_wrong(ctx: CheckContext, case: RelayCase) -> tuple[str, str, str, str] | None:
    """None when the relay was exact; else (side, what went wrong, expected, actual).

    `side` is "request", "request-headers", "answer" or "answer-headers".
    """
    try:
        sent = await send(ctx, case, purpose="generated synchronous request")
    except Failure as failure:
        return "answer", failure.reason, "an answer", failure.actual or "none"
    try:
        entry = await one_arrival(ctx, sent.correlation, ctx.config.request_timeout, "the generated request")
    except Failure as failure:
        return "request", failure.reason, "the request at the container", f"{sent.status} {show(sent.response.content, 80)}"
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


async def _side(ctx: CheckContext, case: RelayCase) -> str | None:
    wrong = await relayed_wrong(ctx, case)
    return wrong[0] if wrong else None


async def judge_sync(ctx: CheckContext, case: RelayCase) -> None:
    wrong = await relayed_wrong(ctx, case)
    if wrong is None:
        return
    side, reason, expected, actual = wrong
    if side.endswith("headers"):
        raise Violation(("GW-SYNC-03",), reason, expected=expected, actual=actual)
    ids, why = await blame_relay(case, side, lambda other: _side(ctx, other))
    raise Violation(ids, reason + (f" ({why})" if why else ""), expected=expected, actual=actual)


def judged_ids(case: RelayCase) -> tuple[str, ...]:
    """The IDs an example judges, the MUSTs first (a failure the judge did not name fails the first)."""
    edges = edges_of(case)
    ids = ["GW-SYNC-01", "GW-SYNC-02"] if not edges else [EDGE_IDS[edge] for edge in sorted(edges)]
    ids += [rid for rid in ("GW-SYNC-01", "GW-SYNC-02") if rid not in ids]
    if case.request.headers or case.answer.headers:
        ids.append("GW-SYNC-03")
    return tuple(dict.fromkeys(ids))


@check(*SYNC_IDS)
async def sync_relay_property(ctx: CheckContext) -> None:
    """Sends generated requests without Prefer: every method, nested and percent-encoded paths (and, for
    GW-SYNC-05, `%2F`, `%3F`, `%25`... and empty segments), query strings, binary and text bodies, content
    types, custom headers; the container answers generated statuses (2xx, 4xx, 5xx), bodies (up to 72 KiB),
    content types and headers.

    Expects the container to get the request exactly as sent (the one rule
    of conformance.judge.unchanged) and the client to get the container's
    status, body bytes, Content-Type and headers. A failure on a request
    with a SHOULD-only part fails the MUST only when its twin without that
    part fails too.
    """
    result = await search(ctx, "sync_relay_property", relay_cases(large=LARGE_ANSWER, edges=True),
                          lambda case: judge_sync(ctx, case), ids_of=judged_ids, describe=RelayCase.describe,
                          budget=Budget.from_config(ctx.config))
    report(ctx, result, SYNC_IDS)
