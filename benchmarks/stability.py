"""How stable the suite's verdicts are: the same targets, run again and again, per requirement ID.

Runs the embedded suite (the mock container and the reference gateway, as
`conformance run` with no target starts them) and each independent legal
gateway of tests/legal (each with a mock container of its own) `--runs`
times, one run at a time, the defaults of `conformance run` throughout.
Prints, per target and ID, how many runs gave a verdict other than the
most common one (a *flip*), and the exit codes; the goal is 0 flips. A
verdict that is a skip ("not judged", e.g. a timing the suite could not
take cleanly) counts as a flip too: it is not the verdict the ID gets on
a quiet machine.

Run: .venv/bin/python benchmarks/stability.py [--runs 10] [--targets embedded,starlette,...] [--json FILE]
Slow (a full suite per run, about a minute each): run it on an otherwise idle machine, or read its flips
as the machine's as much as the suite's.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.judge.model import ResultDocument  # noqa: E402
from conformance.runs.gateway.run import run_suite  # noqa: E402
from conformance.runs.launcher import ManagedServer, python_command  # noqa: E402
from tests.legal.gateways import LEGAL_GATEWAYS  # noqa: E402

EMBEDDED = "embedded"


@dataclass
class Tally:
    """Every run's outcome per ID, and what each run ended with."""

    target: str
    outcomes: dict[str, list[str]] = field(default_factory=lambda: collections.defaultdict(list))
    #: reasons of the runs whose outcome was not the usual one: (run, ID, outcome, reason)
    odd: list[tuple[int, str, str, str]] = field(default_factory=list)
    exit_codes: list[int] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, document: ResultDocument, seconds: float) -> None:
        for result in document.requirements:
            self.outcomes[result.id].append(result.outcome.value)
        self.exit_codes.append(document.summary.exit_code)
        self.durations.append(seconds)
        self._documents.append(document)

    def __post_init__(self) -> None:
        self._documents: list[ResultDocument] = []

    def usual(self, rid: str) -> str:
        return collections.Counter(self.outcomes[rid]).most_common(1)[0][0]

    def flips(self) -> dict[str, int]:
        """ID -> runs whose outcome was not the most common one (IDs that never flipped left out)."""
        return {rid: sum(o != self.usual(rid) for o in seen) for rid, seen in self.outcomes.items()
                if len(set(seen)) > 1}

    def explain(self) -> list[str]:
        lines = []
        for rid in self.flips():
            usual = self.usual(rid)
            for run, document in enumerate(self._documents, 1):
                result = next((r for r in document.requirements if r.id == rid), None)
                if result is not None and result.outcome.value != usual:
                    lines.append(f"    run {run}: {rid} {result.outcome.value} (usually {usual}): {result.reason[:300]}")
        return lines


@contextmanager
def mock_container() -> Iterator[ManagedServer]:
    server = ManagedServer(python_command("mock_container", "--port", "{port}"), name="mock-container").start()
    try:
        yield server
    finally:
        server.stop()


def run_embedded() -> ResultDocument:
    return run_suite()


def legal_runner(name: str) -> Callable[[], ResultDocument]:
    legal = next(g for g in LEGAL_GATEWAYS if g.name == name)

    def run() -> ResultDocument:
        with mock_container() as mock, legal.run(mock.url) as endpoints:
            return run_suite(gateway=endpoints.gateway, container_url=mock.url, other_gateway=endpoints.other_gateway)

    return run


def runners(names: list[str]) -> dict[str, Callable[[], ResultDocument]]:
    out: dict[str, Callable[[], ResultDocument]] = {}
    for name in names:
        if name == EMBEDDED:
            out[name] = run_embedded
            continue
        legal = next((g for g in LEGAL_GATEWAYS if g.name == name), None)
        if legal is None:
            raise SystemExit(f"unknown target {name!r}: {EMBEDDED} or one of {[g.name for g in LEGAL_GATEWAYS]}")
        missing = legal.missing()
        if missing:
            print(f"{name}: skipped ({missing})", flush=True)
            continue
        out[name] = legal_runner(name)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--targets", default=",".join([EMBEDDED, *(g.name for g in LEGAL_GATEWAYS)]),
                        help="comma-separated: embedded and the names of tests/legal/gateways.py")
    parser.add_argument("--json", type=Path, help="write every run's outcomes and the flips here")
    args = parser.parse_args()
    tallies = {name: Tally(name) for name in runners(args.targets.split(","))}
    plan = runners(list(tallies))
    for run in range(1, args.runs + 1):
        for name, runner in plan.items():
            started = time.monotonic()
            try:
                document = runner()
            except Exception as exc:  # noqa: BLE001 - a run that could not happen is reported, not fatal
                tallies[name].errors.append(f"run {run}: {type(exc).__name__}: {exc}")
                print(f"run {run:>2} {name:<24} ERROR {type(exc).__name__}: {exc}", flush=True)
                continue
            seconds = time.monotonic() - started
            tallies[name].add(document, seconds)
            failed = document.summary.failed_must + document.summary.failed_should
            print(f"run {run:>2} {name:<24} exit {document.summary.exit_code} in {seconds:5.1f} s; "
                  f"failed: {', '.join(failed) or 'none'}", flush=True)
    total = 0
    print("\nflips per ID (runs whose verdict was not the most common one):")
    for name, tally in tallies.items():
        flips = tally.flips()
        total += sum(flips.values())
        codes = collections.Counter(tally.exit_codes)
        print(f"  {name}: {len(tally.exit_codes)} runs, exit codes {dict(codes)}, "
              f"{sum(flips.values())} flips{'' if flips else ' (every ID the same every run)'}")
        for rid, count in sorted(flips.items()):
            print(f"    {rid}: {count} of {len(tally.outcomes[rid])} runs ({dict(collections.Counter(tally.outcomes[rid]))})")
        for line in tally.explain():
            print(line)
        for error in tally.errors:
            print(f"    {error}")
    print(f"\ntotal flips: {total}")
    if args.json:
        args.json.write_text(json.dumps({name: {"outcomes": dict(t.outcomes), "flips": t.flips(), "exit_codes": t.exit_codes,
                                                "durations": t.durations, "errors": t.errors}
                                         for name, t in tallies.items()}, indent=1), encoding="utf-8")
    return 0 if total == 0 and not any(t.errors for t in tallies.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
