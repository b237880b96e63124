"""Benchmark: how much load this machine sustains through the reference gateway
and the mock container, and how much one mock absorbs on its own.

    .venv/bin/python benchmarks/load.py            # about 1-2 minutes
    .venv/bin/python benchmarks/load.py --duration 20 --users 16,64,128

Prints, from one run of each step (all through `conformance load`, so the
numbers are the load conformance run's own):

1. one mock container alone, journaling every request: the rate it absorbs
   (journal entries per second) with Locust sending synchronous requests
   straight to it, and its CPU. This is the instrument's ceiling: past it,
   run several mocks (see the README);
2. the reference gateway + one mock, full mix, container delay D = 0, at
   each user count: submissions/s, HTTP requests/s (submissions plus status
   polls and result reads), respond-async accept p50/p99, and whether every
   verdict still passed. The sustained rate is the highest rate whose run
   passed every MUST.

Everything runs on this machine: the load generator, the gateway and the
mock share its cores, so the rates are those of the whole set-up, not of the
gateway alone, and they are noisy when other work runs at the same time.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conformance.runs.launcher import ManagedServer, python_command  # noqa: E402


@dataclass
class Step:
    label: str
    users: int
    submissions_per_s: float
    requests_per_s: float
    accept_p50_ms: float | None
    accept_p99_ms: float | None
    passed_must: bool
    mock_cpu: float | None
    gateway_cpu: float | None
    generator_cpu: float | None


def _locust_requests_per_s(stats_csv: Path) -> float:
    with open(stats_csv, newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated":
                return float(row["Requests/s"])
    return 0.0


def run_load(label: str, gateway: str, mock: str, users: int, duration: int, mix: str, workdir: Path) -> Step:
    out = workdir / f"{label}-{users}.json"
    argv = [sys.executable, "-m", "conformance", "load", "--gateway", gateway, "--container-url", mock,
            "--users", str(users), "--spawn-rate", str(max(users, 10)), "--duration", f"{duration}s",
            "--delay", "0", "--mix", mix, "--json", str(out)]
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=duration + 120, cwd=ROOT)
    document: dict[str, Any] = json.loads(out.read_text())
    by_id = {r["id"]: r for r in document["requirements"]}
    load, latency = by_id["GW-LOAD-01"]["data"], by_id["GW-LOAD-02"]
    cpu = {c["role"]: c["mean_cpu"] for c in load.get("cpu", {}).values()}
    return Step(
        label=label,
        users=users,
        submissions_per_s=load["submissions_per_s"] or 0.0,
        requests_per_s=_locust_requests_per_s(Path(f"{out.with_suffix('')}.locust_stats.csv")),
        accept_p50_ms=latency["data"]["p50"] * 1000 if latency["data"].get("p50") is not None else None,
        accept_p99_ms=latency["data"]["p99"] * 1000 if latency["data"].get("p99") is not None else None,
        passed_must=not document["summary"]["failed_must"],
        # the mock-alone step has the mock as its "gateway" too
        mock_cpu=cpu.get("mock"),
        gateway_cpu=cpu.get("gateway") if label != "mock alone" else None,
        generator_cpu=cpu.get("load generator"),
    )


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per step")
    parser.add_argument("--users", default="8,32,96", help="user counts for the gateway steps")
    parser.add_argument("--mock-users", type=int, default=32, help="users for the mock-alone step")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; load generator, gateway and mock all on it; other work on the "
          "machine makes these numbers noisy\n", flush=True)
    steps: list[Step] = []
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        workdir = Path(tmp)
        mock = ManagedServer(python_command("mock_container", "--port", "{port}", "--journal-size", "200000",
                                            "--body-keep", "4096"), name="mock").start()
        try:
            # 1. the instrument alone: Locust -> mock, synchronous echo, every request journaled
            steps.append(run_load("mock alone", f"{mock.url}", mock.url, args.mock_users, args.duration,
                                  "sync=100", workdir))
            gateway = ManagedServer(python_command("conformance", "gateway", "--port", "{port}", "--deployment",
                                                   f"mock={mock.url}", "--workers", "256", "--max-stored", "500000"),
                                    name="gateway").start()
            try:
                for users in (int(u) for u in args.users.split(",")):
                    steps.append(run_load("gateway+mock", f"{gateway.url}/mock", mock.url, users, args.duration,
                                          "async=60,proxy=15,container=10,sync=15", workdir))
            finally:
                gateway.stop()
        finally:
            mock.stop()
    header = (f"{'step':14} {'users':>5} {'subm/s':>8} {'HTTP req/s':>10} {'accept p50 ms':>13} "
              f"{'accept p99 ms':>13}  {'CPU % of a core: locust':>23} {'gateway':>7} {'mock':>5}  MUSTs")
    print(header)
    print("-" * len(header))
    for s in steps:
        print(f"{s.label:14} {s.users:5d} {s.submissions_per_s:8.1f} {s.requests_per_s:10.1f} "
              f"{_fmt(s.accept_p50_ms, 2):>13} {_fmt(s.accept_p99_ms, 2):>13}  {_fmt(s.generator_cpu, 0):>23} "
              f"{_fmt(s.gateway_cpu, 0):>7} {_fmt(s.mock_cpu, 0):>5}  {'pass' if s.passed_must else 'FAIL'}")
    mock_step = steps[0]
    passing = [s for s in steps[1:] if s.passed_must]
    print()
    saturated = (mock_step.mock_cpu or 0) >= 80
    print(f"one mock absorbed {mock_step.submissions_per_s:.0f} journaled requests/s "
          f"(mock CPU {_fmt(mock_step.mock_cpu, 0)}% of a core, Locust {_fmt(mock_step.generator_cpu, 0)}%): "
          + ("that is about its ceiling" if saturated else
             "the mock was not saturated, so its ceiling is higher; the load generator (or other work on "
             "this machine) was the limit"))
    if passing:
        best = max(passing, key=lambda s: s.submissions_per_s)
        share = best.submissions_per_s / mock_step.submissions_per_s if mock_step.submissions_per_s else 0.0
        print(f"sustained through the reference gateway: {best.submissions_per_s:.0f} submissions/s "
              f"({best.requests_per_s:.0f} HTTP requests/s) at {best.users} users, accept p99 "
              f"{_fmt(best.accept_p99_ms, 2)} ms; {share:.2f}x the rate one mock absorbed above")
    else:
        print("no gateway step passed every MUST: see the JSON reports for why")


if __name__ == "__main__":
    main()
