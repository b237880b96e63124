"""Prefer recognition as a property (GW-PREF-01..07, 09): generated values, each failure pinned on the right ID.

The hand-written checks (`prefer.py`) send the contract's own examples;
this one searches the RFC 7240 grammar around them
(`conformance.generate.prefer`), every value knowing by construction the
mode it must select. A value the gateway gets wrong is blamed by trying it
again with parts taken out (`blame`), so a failure lands on the requirement
the gateway actually breaks: on GW-PREF-09 (SHOULD) when only a grammar
edge (a quoted-string, a mode name where the grammar reads no name) misled
it, never on a MUST.

Delays are 0 here (latency is the hand-written checks' business) and every
example has its own correlation, so journal waits end as soon as the
request is in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from conformance.checks import check
from conformance.checks.context import CheckContext
from conformance.checks.prefer import ASYNC, CONTAINER, PROXY, SYNC, probe
from conformance.checks.search import Budget, SearchResult, Violation, report, search
from conformance.contract.prefer import Mode
from conformance.generate.prefer import KINDS, PREF_09, PreferCase
from conformance.judge.unchanged import same_field_lines

__all__ = ["prefer_property", "blame", "PREFER_IDS"]

PREFER_IDS = ("GW-PREF-01", "GW-PREF-02", "GW-PREF-03", "GW-PREF-04", "GW-PREF-05", "GW-PREF-06", "GW-PREF-07",
              "GW-PREF-09")
_MODE_NAMES = {Mode.SYNC: SYNC, Mode.ASYNC: ASYNC, Mode.PROXY: PROXY, Mode.CONTAINER: CONTAINER}

WIDE_KINDS = ("combinations", "grammar edges")

#: what a case did wrong on the gateway, or None when it was handled as it must be
Wrong = Callable[[PreferCase], Awaitable[str | None]]


async def handled_as(ctx: CheckContext, case: PreferCase) -> str | None:
    """None when the gateway treats the case as it must; else what it did instead."""
    result = await probe(ctx, list(case.lines), raw=case.raw)
    expected = _MODE_NAMES[case.expected]
    if result.mode != expected:
        return f"handled as {result.mode}: {result.evidence}"
    if case.expected is Mode.SYNC and not same_field_lines(case.lines, result.container_prefer):
        return f"handled synchronously, but the container got Prefer lines {result.container_prefer!r}"
    return None


async def blame(case: PreferCase, wrong: Wrong) -> tuple[tuple[str, ...], str]:
    """The requirements a failing case fails, pinned down by trying it again with parts taken out.

    - A value with grammar edges is tried as its plain twin (quoted-strings
      and traps replaced by plain tokens): if the twin passes, the grammar
      misled the gateway (GW-PREF-09); if not, the twin is blamed instead.
      So a MUST is never failed on a grammar edge.
    - A value that selects nothing but mentions a mode fails GW-PREF-04
      only when the same value with plain preferences in place of the
      mentions passes.
    - A value that selects a mode fails GW-PREF-04 when it passes with
      plain preferences in place of the near misses beside it (one of them
      misled the gateway; the value kept its shape, so the shape did not).
    - A value combining variations (case, whitespace, lists, parameters)
      is failed on a SHOULD only when the same mode name without that
      variation passes: `wait=1, respond-async  ` failing because of the
      trailing whitespace fails GW-PREF-05, not GW-PREF-07.
    """
    if case.grammar_edge:
        plain = case.plain
        if await wrong(plain) is None:
            return (PREF_09,), f"its plain twin passes ({plain.describe()}): the grammar misled the gateway"
        ids, why = await blame(plain, wrong)
        return ids, f"its plain twin fails too ({plain.describe()})" + (f"; {why}" if why else "")
    rest = case.unmisled()
    if case.expected is Mode.SYNC:
        if rest is not None and await wrong(rest) is not None:
            return rest.ids, f"it fails with plain preferences in place of those that mention a mode too ({rest.describe()})"
        return case.ids, ""
    if rest is not None and await wrong(rest) is None:
        return ("GW-PREF-04",), f"with plain preferences in place of those that mention a mode it passes ({rest.describe()})"
    if not {"GW-PREF-06", "GW-PREF-07"} & set(case.ids):
        return case.ids, ""
    bare = case.simplified(keep_case=False, keep_list=False)
    if bare is not None and bare != case and await wrong(bare) is not None:
        return bare.ids, f"the mode name alone fails too ({bare.describe()})"
    ids = []
    for rid, keep_case in (("GW-PREF-06", True), ("GW-PREF-07", False)):
        if rid not in case.ids:
            continue
        variant = case.simplified(keep_case=keep_case, keep_list=not keep_case)
        if variant == case or (variant is not None and await wrong(variant) is not None):
            ids.append(rid)
    if ids:
        return tuple(ids), ""
    return case.ids, "each variation alone passes: only their combination fails"


def judged_ids(case: PreferCase) -> tuple[str, ...]:
    """The IDs an example judges: its own, and GW-PREF-09 for any value with a grammar edge."""
    return case.ids + ((PREF_09,) if case.grammar_edge and PREF_09 not in case.ids else ())


async def judge_prefer(ctx: CheckContext, case: PreferCase) -> None:
    wrong = await handled_as(ctx, case)
    if wrong is None:
        return
    ids, why = await blame(case, lambda other: handled_as(ctx, other))
    expected = _MODE_NAMES[case.expected]
    want = f"{expected} mode" + (f", Prefer lines {list(case.lines)!r} at the container" if case.expected is Mode.SYNC else "")
    raise Violation(ids, f"{case.describe()} was not handled as it must be" + (f" ({why})" if why else ""),
                    expected=want, actual=wrong)


@check(*PREFER_IDS)
async def prefer_property(ctx: CheckContext) -> None:
    """Sends generated Prefer headers (RFC 7240 grammar): the three names in any case, with whitespace,
    parameters, lists and several lines; near misses; unrelated preferences; and (GW-PREF-09) modes spelled
    inside quoted-strings, as parameters or as values.

    Expects each value to select the mode it was built to select, and every
    value that selects none to be handled synchronously with its Prefer
    lines reaching the container unchanged. A failure on a value with a
    quoted-string fails a MUST only when its plain twin fails too. Each kind
    of value is searched on its own, with its share of the examples.
    """
    results = []
    for name, _, strategy in KINDS:
        # the open-ended kinds (combinations, the grammar's edges) get a double share
        share = (2 if name in WIDE_KINDS else 1) / len(KINDS)
        results.append(await search(ctx, f"prefer_property {name}", strategy, lambda case: judge_prefer(ctx, case),
                                    ids_of=judged_ids, describe=PreferCase.describe,
                                    budget=Budget.from_config(ctx.config, share=share)))
    report(ctx, SearchResult.merged(results), PREFER_IDS)
