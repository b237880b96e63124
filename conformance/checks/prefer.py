"""Prefer recognition (GW-PREF-*): which mode each Prefer value selects.

Every probe asks the container for a literal marker body, so the mode a
gateway picked can be read off what came back and what the container got:

- respond-async: a 202 with a JSON accept document (`Id`);
- respond-async-proxy: a 202 with an empty body;
- respond-async-container: the container's marker, and the container got
  `Prefer: respond-async`;
- synchronous: the container's marker, and the container got the `Prefer`
  lines as sent (`conformance.judge.unchanged.same_field_lines`).

The values the MUST checks send (GW-PREF-01..05) hold no quoted-string and
no mode name where the grammar reads no preference name: those edges are
GW-PREF-09's (SHOULD), as the contract's "Levels" paragraph asks, because
legal gateways that read `Prefer` naively break no real client on them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from conformance.checks import check
from conformance.checks.context import CheckContext
from conformance.checks.flows import mock_query, one_arrival, prefer_names, send
from conformance.judge.unchanged import same_field_lines
from conformance.judge.verdicts import Failure, expect, show

SYNC, ASYNC, PROXY, CONTAINER = "synchronous", "respond-async", "respond-async-proxy", "respond-async-container"
THREE_MODES = (ASYNC, PROXY, CONTAINER)

#: GW-PREF-03: values that are not one of the three
OTHER_VALUES = ("wait=5", "return=minimal", "handling=lenient", "x-conformance-made-up-token", "")
#: GW-PREF-04: near misses, none of which may select a mode
NEAR_MISSES = ("respond-asyncx", "xrespond-async", "respond_async", "respond-async-proxyx", "respond-async-containers", "respond-async-")
#: GW-PREF-01, 05, 06, 07: the values that must select a mode, as each check sends them
EXACT_VALUES = ("respond-async", "respond-async-proxy", "respond-async-container")
PADDED_VALUES = ("   respond-async  ", "\trespond-async-proxy ", "  respond-async-container\t")
CASED_VALUES = ("Respond-Async", "RESPOND-ASYNC-PROXY", "Respond-Async-Container")
LIST_VALUES = (("respond-async, wait=10",), ("respond-async; foo=bar",), ("wait=10", "respond-async"),
               ("wait=10, respond-async-proxy",))
#: GW-PREF-09: a mode name where the RFC 7240 grammar reads no preference name; each selects nothing.
#: Every one is a single line that is not exactly a mode, so a gateway that only knows the exact
#: values (GW-PREF-06/07 aside) passes them; only a reading that is not the grammar's fails.
GRAMMAR_VALUES = (
    ("quoted value", 'wait="a, respond-async, b"'),
    ("quoted value, semicolon", 'handling=lenient; note="x; respond-async-proxy"'),
    ("quoted parameter value", 'return=minimal; p="q, respond-async-container; v=1"'),
    ("parameter name", "foo; respond-async"),
    ("token value", "wait=respond-async"),
)


@dataclass
class ModeProbe:
    """What one Prefer probe showed: the mode, and the evidence for it."""

    mode: str  # one of the four modes, "rejected" or "unrecognised"
    evidence: str
    container_prefer: list[str] | None  # the Prefer lines the container got, when it got the request


def _marker(correlation: str) -> str:
    return f"container-answer {correlation}"


async def probe(ctx: CheckContext, values: Sequence[str], *, raw: bool = False) -> ModeProbe:
    """Send a POST with these Prefer lines and tell which mode the gateway used.

    `raw` sends the lines byte for byte (httpx refuses values with
    surrounding whitespace, which GW-PREF-05 needs).
    """
    correlation = ctx.correlation("prefer")
    marker = _marker(correlation)
    behaviour = {"body": marker, "content_type": "text/plain"}
    body = b'{"prompt": "prefer probe"}'
    if raw:
        url = ctx.gateway.url("/v1/prefer", mock_query(correlation, **behaviour))
        response = await ctx.gateway.raw(
            "POST", url, headers=[("X-Mock-Correlation", correlation), ("Content-Type", "application/json")],
            raw_headers=[("Prefer", value.encode("latin-1")) for value in values], content=body,
            purpose=f"Prefer probe {list(values)!r}",
        )
        status, content, headers = response.status_code, response.content, response.headers
    else:
        sent = await send(
            ctx, "POST", "/v1/prefer", correlation=correlation, prefer_values=list(values), body=body,
            content_type="application/json", mock=behaviour, purpose=f"Prefer probe {list(values)!r}",
        )
        status, content, headers = sent.status, sent.response.content, sent.response.headers
    return await _classify(ctx, correlation, marker, status, content, headers, list(values))


async def _classify(ctx, correlation, marker, status, content, headers, values) -> ModeProbe:  # type: ignore[no-untyped-def]
    answer = f"{status} {show(content.decode('utf-8', 'replace'), 120)!r}"
    if status == 202 and content.strip().startswith(b"{"):
        try:
            document = json.loads(content)
        except ValueError:
            document = None
        if isinstance(document, dict) and isinstance(document.get("Id"), str):
            return ModeProbe(ASYNC, f"202 with an accept document (Id {document['Id']!r})", None)
    if status == 202 and not content:
        return ModeProbe(PROXY, "202 with an empty body", None)
    if content == marker.encode():
        # the client got the container's answer: the gateway relayed it; which way
        # depends on what the container was sent (it answered, so it is journaled)
        entry = await one_arrival(ctx, correlation, ctx.config.request_timeout, "the probe")
        lines = entry.header_values("prefer")
        if same_field_lines(values, lines):
            return ModeProbe(SYNC, f"the container's own answer, and the container got Prefer {lines!r} unchanged", lines)
        if "respond-async" in prefer_names(entry):
            return ModeProbe(CONTAINER, f"the container's own answer; the container got Prefer {lines!r}", lines)
        return ModeProbe(SYNC, f"the container's own answer, but the container got Prefer {lines!r} instead of {values!r}", lines)
    if 400 <= status < 500:
        return ModeProbe("rejected", f"answered {answer}", None)
    return ModeProbe("unrecognised", f"answered {answer}, which fits none of the four modes", None)


def _label(values: Sequence[str]) -> str:
    return " + ".join(f"Prefer: {v!r}" for v in values) if values else "no Prefer"


async def expect_mode(ctx: CheckContext, rid: str, values: Sequence[str], mode: str, *, raw: bool = False) -> None:
    with ctx.judge(rid, case=_label(values)):
        result = await probe(ctx, values, raw=raw)
        expect(
            result.mode == mode,
            f"{_label(values)} was handled as {result.mode}: {result.evidence}",
            expected=f"{mode} mode", actual=f"{result.mode}: {result.evidence}",
        )


async def expect_sync_unchanged(ctx: CheckContext, rid: str, value: str) -> None:
    """The value is handled synchronously and reaches the container as its only Prefer line, unchanged."""
    with ctx.judge(rid, case=_label([value])):
        result = await probe(ctx, [value])
        expect(
            result.mode == SYNC,
            f"Prefer {value!r} was handled as {result.mode}: {result.evidence}",
            expected="synchronous: the container's answer relayed", actual=f"{result.mode}: {result.evidence}",
        )
        if not same_field_lines([value], result.container_prefer):
            raise Failure(
                f"Prefer {value!r} did not reach the container byte for byte",
                expected=f"Prefer lines [{value!r}]", actual=f"Prefer lines {result.container_prefer!r}",
            )


@check("GW-PREF-01")
async def exact_values_select_modes(ctx: CheckContext) -> None:
    """Sends respond-async, respond-async-proxy and respond-async-container, each exactly.

    Expects respond-async to give an accept document, -proxy a 202 with an
    empty body, and -container the container's own answer after the
    container got `Prefer: respond-async`.
    """
    await ctx.all(*(expect_mode(ctx, "GW-PREF-01", [value], mode) for value, mode in zip(EXACT_VALUES, THREE_MODES)))


@check("GW-PREF-02")
async def no_prefer_is_sync(ctx: CheckContext) -> None:
    """Sends a POST with no Prefer header; expects the container's answer relayed and no Prefer line at the container."""
    await expect_mode(ctx, "GW-PREF-02", [], SYNC)


@check("GW-PREF-03")
async def other_values_are_sync(ctx: CheckContext) -> None:
    """Sends wait=5, return=minimal, handling=lenient, a made-up token and an empty value, one per request.

    Expects each handled synchronously, with the Prefer line reaching the
    container byte for byte.
    """
    await ctx.all(*(expect_sync_unchanged(ctx, "GW-PREF-03", value) for value in OTHER_VALUES))


@check("GW-PREF-04")
async def near_misses_are_sync(ctx: CheckContext) -> None:
    """Sends near misses (respond-asyncx, xrespond-async, respond_async, respond-async-proxyx, ...).

    Expects each handled synchronously and forwarded unchanged: no prefix,
    suffix or substring matching.
    """
    await ctx.all(*(expect_sync_unchanged(ctx, "GW-PREF-04", value) for value in NEAR_MISSES))


@check("GW-PREF-05")
async def surrounding_whitespace_ignored(ctx: CheckContext) -> None:
    """Sends the three values wrapped in spaces and tabs, byte for byte on the wire.

    Expects the same modes as without the whitespace.
    """
    await ctx.all(*(expect_mode(ctx, "GW-PREF-05", [value], mode, raw=True) for value, mode in zip(PADDED_VALUES, THREE_MODES)))


@check("GW-PREF-06")
async def names_match_case_insensitively(ctx: CheckContext) -> None:
    """Sends Respond-Async, RESPOND-ASYNC-PROXY and Respond-Async-Container; expects their modes."""
    await ctx.all(*(expect_mode(ctx, "GW-PREF-06", [value], mode) for value, mode in zip(CASED_VALUES, THREE_MODES)))


@check("GW-PREF-07")
async def lists_and_parameters(ctx: CheckContext) -> None:
    """Sends a recognized value in a list, with parameters, and on a second Prefer line.

    Expects `respond-async, wait=10`, `respond-async; foo=bar` and the two
    lines `wait=10` + `respond-async` to select respond-async, and
    `wait=10, respond-async-proxy` to select respond-async-proxy.
    """
    await ctx.all(*(expect_mode(ctx, "GW-PREF-07", list(values), mode)
                    for values, mode in zip(LIST_VALUES, (ASYNC, ASYNC, ASYNC, PROXY))))


@check("GW-PREF-08")
async def two_recognized_values(ctx: CheckContext) -> None:
    """Sends `respond-async, respond-async-proxy`; records which mode (if any) the gateway picked."""
    values = ["respond-async, respond-async-proxy"]
    result = await probe(ctx, values)
    ctx.observe("GW-PREF-08", f"{_label(values)} was handled as {result.mode} ({result.evidence})", mode=result.mode)


@check("GW-PREF-09")
async def grammar_decides_recognition(ctx: CheckContext) -> None:
    """Sends a mode name inside quoted-strings (`wait="a, respond-async, b"`), as a parameter (`foo; respond-async`)
    and as a preference's value (`wait=respond-async`), one per request.

    Expects each handled synchronously, its Prefer line reaching the
    container unchanged: by the RFC 7240 grammar none of them is a
    recognized preference. A gateway that splits on commas without minding
    quotes, or reads every token, selects a mode here: it breaks no real
    client, which is why this is a SHOULD and the MUSTs never send such values.
    """
    async def one(label: str, value: str) -> None:
        with ctx.judge("GW-PREF-09", case=f"{label}: Prefer: {value!r}"):
            result = await probe(ctx, [value])
            expect(result.mode == SYNC, f"Prefer {value!r} was handled as {result.mode}: {result.evidence}",
                   expected="synchronous: the container's answer relayed", actual=f"{result.mode}: {result.evidence}")
            if not same_field_lines([value], result.container_prefer):
                raise Failure(f"Prefer {value!r} did not reach the container unchanged",
                              expected=f"Prefer lines [{value!r}]", actual=f"Prefer lines {result.container_prefer!r}")

    await ctx.all(*(one(label, value) for label, value in GRAMMAR_VALUES))
