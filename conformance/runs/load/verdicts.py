"""The load run's verdicts, one per requirement ID, from the merged tally and
the mock containers' journals.

- GW-LOAD-01 (MUST): across all four modes nothing lost (every accepted Id
  reached Completed, every submission owed to the container reached it),
  nothing duplicated (no body reached the containers twice), nothing crossed
  (every answer, result and relayed task belongs to its own submission), and
  no submission answered other than its mode requires. Refusals (429/503 at
  once) are load shedding the client sees: reported, not failed.
- GW-RESULT-05 (MUST): every respond-async result read is the container's
  answer to that submission.
- GW-PROXY-05 (SHOULD): every accepted fire-and-forget submission reached the
  container (a duplicate fails GW-LOAD-01).
- GW-LOAD-02 (SHOULD): respond-async accept latency p99 under T_accept while
  every container call takes D.

A verdict that would rest on incomplete evidence (the journal ring evicted
entries before they were counted) is `skipped` with the reason, never passed.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from conformance.judge.model import FailureRecord, IdVerdict, Outcome
from conformance.runs.load.tally import Fate, Tally
from conformance.runs.load.settings import MODES, LoadSettings
from conformance.runs.load.settle import EXPECT_DELIVERY

__all__ = ["Evidence", "judge", "percentile", "LOAD_IDS"]

LOAD_IDS = ("GW-LOAD-01", "GW-RESULT-05", "GW-PROXY-05", "GW-LOAD-02")
#: Hashes shown per failure (the counts are always complete).
SHOWN = 10


@dataclass
class Evidence:
    tally: Tally
    settings: LoadSettings
    deliveries: Counter  # body sha256 -> journal entries of this run, all mocks together
    duration: float  # seconds of load
    journal_gaps: list[str] = field(default_factory=list)
    rejected: Counter = field(default_factory=Counter)  # invalid-behaviour entries at the mock
    webhooks: dict[str, int] = field(default_factory=dict)
    webhooks_unnamed: int = 0
    tasks_forgotten: int = 0
    peak_rates: dict[str, int] = field(default_factory=dict)
    #: process name -> {"role", "mean_cpu", "max_cpu"} (monitor.py)
    cpu: dict[str, dict[str, Any]] = field(default_factory=dict)
    settle_seconds: float = 0.0
    #: the instrument's own limits, said in every verdict they could colour
    instrument: list[str] = field(default_factory=list)
    locust_files: list[str] = field(default_factory=list)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _shas(shas: list[str]) -> str:
    shown = ", ".join(sha[:12] for sha in shas[:SHOWN])
    return shown + (f" and {len(shas) - SHOWN} more" if len(shas) > SHOWN else "")


def _failure(reason: str, expected: str, actual: str, shas: list[str] | None = None) -> FailureRecord:
    return FailureRecord(reason=reason, expected=expected, actual=actual, case=_shas(shas) if shas else None)


def _load_01(ev: Evidence) -> IdVerdict:
    records = ev.tally.records
    by_fate: dict[Fate, list[str]] = {fate: [] for fate in Fate}
    for sha, record in records.items():
        by_fate[record.outcome].append(sha)
    owed = [sha for sha, r in records.items() if r.outcome in EXPECT_DELIVERY]
    dropped = [sha for sha in owed if ev.deliveries[sha] == 0]
    duplicated = sorted((sha for sha, n in ev.deliveries.items() if n > 1), key=lambda s: -ev.deliveries[s])
    unknown = [sha for sha in ev.deliveries if sha not in records]
    failures: list[FailureRecord] = []
    if by_fate[Fate.LOST]:
        failures.append(_failure("accepted respond-async Ids never reached Completed (lost)",
                                 f"Completed within T_done={ev.settings.done_bound:g}s",
                                 f"{len(by_fate[Fate.LOST])} lost", by_fate[Fate.LOST]))
    if dropped and not ev.journal_gaps:
        failures.append(_failure("submissions the gateway accepted never reached the container (lost)",
                                 "every accepted submission in the container's journal",
                                 f"{len(dropped)} of {len(owed)} missing", dropped))
    if duplicated:
        failures.append(_failure("submissions reached the container more than once (duplicated)",
                                 "each body exactly once in the journal",
                                 f"{len(duplicated)} duplicated, up to {ev.deliveries[duplicated[0]]} times", duplicated))
    if by_fate[Fate.CROSSED]:
        modes = Counter(records[sha].mode for sha in by_fate[Fate.CROSSED])
        failures.append(_failure("answers belonged to other submissions (crossed)",
                                 "every answer echoes its own submission's sha256",
                                 ", ".join(f"{n} {mode}" for mode, n in modes.items()), by_fate[Fate.CROSSED]))
    if unknown:
        failures.append(_failure("the container received bodies no client of this run sent",
                                 "only submitted bodies", f"{len(unknown)} unknown bodies", unknown))
    if by_fate[Fate.FAILED]:
        kinds = Counter(records[sha].detail for sha in by_fate[Fate.FAILED])
        failures.append(_failure("submissions not answered as their mode requires",
                                 "202 for the async modes (the container's own 202 for -container), the container's answer for sync",
                                 "; ".join(f"{n}× {kind}" for kind, n in kinds.most_common(8)), by_fate[Fate.FAILED]))
    judged = len(records) - len(by_fate[Fate.IN_FLIGHT])
    notes = list(ev.instrument)
    if by_fate[Fate.REFUSED]:
        notes.append(f"{len(by_fate[Fate.REFUSED])} submissions were refused at once (429/503): load shedding "
                     "the client sees, not counted as lost")
    if by_fate[Fate.IN_FLIGHT]:
        notes.append(f"{len(by_fate[Fate.IN_FLIGHT])} submissions were cut off by the end of the run (not judged)")
    data = _run_data(ev, by_fate, owed, dropped, duplicated, unknown)
    if failures:
        return IdVerdict("GW-LOAD-01", Outcome.FAILED, failures[0].reason, failures, notes=notes, data=data)
    if ev.journal_gaps:
        return IdVerdict("GW-LOAD-01", Outcome.SKIPPED, "the journal lost entries before they were counted: "
                         + "; ".join(ev.journal_gaps), notes=notes, data=data)
    if judged == 0:
        return IdVerdict("GW-LOAD-01", Outcome.SKIPPED, "no submission was answered during the run", notes=notes, data=data)
    return IdVerdict("GW-LOAD-01", Outcome.PASSED,
                     f"{judged} submissions across {len(ev.settings.mix.active())} modes: none lost, duplicated or crossed",
                     notes=notes, data=data)


def _run_data(ev: Evidence, by_fate: dict[Fate, list[str]], owed: list[str], dropped: list[str],
              duplicated: list[str], unknown: list[str]) -> dict[str, Any]:
    records = ev.tally.records
    per_mode = {mode: Counter(r.outcome.value for r in records.values() if r.mode == mode) for mode in MODES}
    total = len(records)
    return {
        "run_id": ev.settings.run_id,
        "duration_s": round(ev.duration, 3),
        "submissions": total,
        "submissions_per_s": round(total / ev.duration, 1) if ev.duration > 0 else None,
        "by_mode": {mode: dict(counts) for mode, counts in per_mode.items() if counts},
        "owed_to_container": len(owed),
        "journal_entries": sum(ev.deliveries.values()),
        "dropped": len(dropped),
        "duplicated": len(duplicated),
        "unknown_bodies": len(unknown),
        "errors_by_kind": dict(ev.tally.errors.most_common()),
        "mock_rejected": dict(ev.rejected),
        "webhook_deliveries": sum(ev.webhooks.values()),
        "webhook_duplicates": sum(1 for n in ev.webhooks.values() if n > 1),
        "webhook_unnamed": ev.webhooks_unnamed,
        "container_tasks_forgotten_by_mock": ev.tasks_forgotten,
        "mock_peak_entries_per_s": ev.peak_rates,
        "cpu": ev.cpu,
        "settle_s": round(ev.settle_seconds, 3),
        "load_processes": ev.tally.sources,
        "examples": ev.tally.examples,
        "locust_files": ev.locust_files,
    }


def _result_05(ev: Evidence) -> IdVerdict:
    asyncs = ev.tally.by_mode("async")
    matched = [r.sha for r in asyncs if r.outcome == Fate.MATCHED]
    crossed = [r.sha for r in asyncs if r.outcome == Fate.CROSSED]
    data = {"results_read": len(matched) + len(crossed), "matched": len(matched), "crossed": len(crossed)}
    if crossed:
        return IdVerdict("GW-RESULT-05", Outcome.FAILED, f"{len(crossed)} of {len(matched) + len(crossed)} results "
                         "carried another submission's answer",
                         [_failure("result of another submission", "the result echoes its own submission's sha256",
                                   f"{len(crossed)} crossed", crossed)], data=data)
    if not matched:
        return IdVerdict("GW-RESULT-05", Outcome.SKIPPED, "no respond-async result was read", data=data)
    return IdVerdict("GW-RESULT-05", Outcome.PASSED, f"all {len(matched)} results read were their own submission's answer",
                     data=data)


def _proxy_05(ev: Evidence) -> IdVerdict:
    accepted = [r.sha for r in ev.tally.by_mode("proxy") if r.outcome == Fate.ACCEPTED]
    dropped = [sha for sha in accepted if ev.deliveries[sha] == 0]
    twice = [sha for sha in accepted if ev.deliveries[sha] > 1]
    data = {"accepted": len(accepted), "reached_container": len(accepted) - len(dropped), "dropped": len(dropped),
            "duplicated": len(twice), "webhooks": sum(ev.webhooks.get(sha, 0) for sha in accepted)}
    notes = [f"{len(twice)} reached it more than once (fails GW-LOAD-01)"] if twice else []
    if ev.journal_gaps and dropped:
        return IdVerdict("GW-PROXY-05", Outcome.SKIPPED, "the journal lost entries before they were counted",
                         notes=notes + ev.journal_gaps, data=data)
    if dropped:
        return IdVerdict("GW-PROXY-05", Outcome.FAILED, f"{len(dropped)} of {len(accepted)} accepted fire-and-forget "
                         "submissions never reached the container",
                         [_failure("dropped fire-and-forget submissions", "every accepted submission in the journal "
                                   f"within T_done={ev.settings.done_bound:g}s", f"{len(dropped)} missing", dropped)],
                         notes=notes, data=data)
    if not accepted:
        return IdVerdict("GW-PROXY-05", Outcome.SKIPPED, "no fire-and-forget submission was accepted", data=data)
    return IdVerdict("GW-PROXY-05", Outcome.PASSED, f"all {len(accepted)} accepted fire-and-forget submissions "
                     "reached the container", notes=notes, data=data)


def _load_02(ev: Evidence) -> IdVerdict:
    values = ev.tally.latencies.get("async", [])
    bound = ev.settings.t_accept
    if not values:
        return IdVerdict("GW-LOAD-02", Outcome.SKIPPED, "no respond-async submission was accepted")
    stats = {f"p{p}": round(percentile(values, p), 4) for p in (50, 95, 99)}
    stats.update(max=round(max(values), 4), samples=len(values), t_accept=bound, container_delay=ev.settings.delay)
    for mode in ("proxy", "container", "sync"):
        if ev.tally.latencies.get(mode):
            stats[f"{mode}_p99"] = round(percentile(ev.tally.latencies[mode], 99), 4)
    observed = f"p50 {stats['p50'] * 1000:.1f} ms, p95 {stats['p95'] * 1000:.1f} ms, p99 {stats['p99'] * 1000:.1f} ms"
    notes = list(ev.instrument)
    if len(values) < 100:
        notes.append(f"only {len(values)} samples: p99 is the slowest of them")
    if stats["p99"] < bound:
        return IdVerdict("GW-LOAD-02", Outcome.PASSED, f"accept p99 {stats['p99'] * 1000:.1f} ms < T_accept "
                         f"{bound * 1000:.0f} ms", observed=observed, notes=notes, data=stats)
    return IdVerdict("GW-LOAD-02", Outcome.FAILED, f"accept p99 {stats['p99'] * 1000:.1f} ms is not under T_accept "
                     f"{bound * 1000:.0f} ms",
                     [_failure("slow respond-async accepts", f"p99 < {bound:g}s while the container takes "
                               f"{ev.settings.delay:g}s", observed)], observed=observed, notes=notes, data=stats)


def judge(ev: Evidence) -> list[IdVerdict]:
    verdicts = [_load_01(ev), _result_05(ev), _proxy_05(ev), _load_02(ev)]
    for verdict in verdicts:
        if verdict.outcome is Outcome.PASSED:
            # the suite's report gives a passed requirement its first notes as the reason
            verdict.notes.insert(0, verdict.reason)
    return verdicts
