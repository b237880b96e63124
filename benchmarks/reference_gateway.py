"""Benchmark of the reference gateway, printed in one run:

1. respond-async accept latency (p50/p99) while the container is saturated:
   every container call takes 2 s and about 200 requests are in flight. First
   a burst of 200 simultaneous submissions (reported, client-observed, includes
   opening 200 TCP connections), then a steady state: new submissions arrive at
   the rate the saturated container finishes them (workers / 2 s), jittered,
   while clients poll statuses, so ~64 run and ~136 wait in the queue (sampled
   from the gateway's /health). Goal: steady-state p99 under 50 ms (T_accept is 1 s).
2. Synchronous proxy throughput as a ratio to calling the mock container
   directly: same client, same concurrency, interleaved rounds. Goal: >= 0.5.

Run: .venv/bin/python benchmarks/reference_gateway.py [--seconds 15] [--in-flight 200] [--rounds 3]
Servers run as child processes on free loopback ports and are stopped at the end.
The load client shares the machine's cores with both servers, so the throughput
ratio is as much a measure of the client as of the gateway; run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.runs.launcher import ManagedServer, python_command  # noqa: E402

WORKERS = 64  # the gateway's default --workers
DELAY = 2.0  # seconds every container call takes


@dataclass
class AcceptStats:
    latencies: list[float] = field(default_factory=list)
    refused: int = 0
    ids: list[str] = field(default_factory=list)
    in_flight: list[int] = field(default_factory=list)  # sampled from the gateway's /health
    polls: int = 0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


SUBMIT_HEADERS = {"Prefer": "respond-async", "X-Mock-Delay": "2", "Content-Type": "application/json"}


async def submit(http: httpx.AsyncClient, gateway: str, stats: AcceptStats) -> None:
    started = time.perf_counter()
    response = await http.post(f"{gateway}/mock/generate", content=b'{"prompt": "bench"}', headers=SUBMIT_HEADERS)
    elapsed = time.perf_counter() - started
    if response.status_code != 202:
        stats.refused += 1
        return
    stats.latencies.append(elapsed)
    stats.ids.append(response.json()["Id"])


async def every(rate: float, stop_at: float, action) -> None:  # type: ignore[no-untyped-def]
    """Start `action()` `rate` times a second with jitter (open loop: never waits for an answer)."""
    tasks = set()
    next_at = time.monotonic()
    while next_at < stop_at:
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        task = asyncio.create_task(action())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        next_at += random.expovariate(rate)
    await asyncio.gather(*tasks)


async def accept_latency(gateway: str, in_flight: int, seconds: float, workers: int, delay: float,
                         poll_rate: float) -> tuple[AcceptStats, AcceptStats]:
    """A burst of `in_flight` simultaneous submissions, then a steady state: new submissions
    at the rate the saturated container completes them (workers / delay), so about
    `in_flight` stay queued or running, plus clients polling the status of their requests."""
    burst, steady = AcceptStats(), AcceptStats()
    # Two clients, as in life: the burst's 200 connections are closed before the steady
    # state. (One httpx pool reused after a 200-connection burst stalls in the *client*
    # for over a second while its idle connections expire; that is not the gateway's time.)
    limits = httpx.Limits(max_connections=in_flight + 50, max_keepalive_connections=in_flight + 50,
                          keepalive_expiry=2.0)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        await asyncio.gather(*[submit(http, gateway, burst) for _ in range(in_flight)])
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        stop_at = time.monotonic() + seconds

        async def poll() -> None:
            ids = steady.ids[-in_flight:] or burst.ids
            await http.get(f"{gateway}/status/mock", headers={"X-Inference-Id": random.choice(ids)})
            steady.polls += 1

        async def sample() -> None:
            health = (await http.get(f"{gateway}/health")).json()["deployments"]["mock"]
            steady.in_flight.append(health["workers_busy"] + health["queued"])

        await asyncio.gather(
            every(workers / delay, stop_at, lambda: submit(http, gateway, steady)),
            every(poll_rate, stop_at, poll),
            every(2.0, stop_at, sample),
        )
    return burst, steady


def describe(stats: AcceptStats) -> str:
    p50, p99 = percentile(stats.latencies, 0.50), percentile(stats.latencies, 0.99)
    return (f"n={len(stats.latencies)} refused={stats.refused}  p50 {p50 * 1000:.1f} ms  p99 {p99 * 1000:.1f} ms"
            f"  max {max(stats.latencies) * 1000:.1f} ms")


async def sync_throughput(url: str, concurrency: int, seconds: float) -> float:
    """Completed synchronous requests per second at `concurrency`."""
    done = 0
    body = b'{"prompt": "' + b"x" * 1000 + b'"}'
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency, keepalive_expiry=2.0)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        async def worker(stop_at: float, count: bool) -> None:
            nonlocal done
            while time.monotonic() < stop_at:
                response = await http.post(url, content=body, headers={"Content-Type": "application/json"})
                assert response.status_code == 200, response.status_code
                if count:
                    done += 1

        await asyncio.gather(*[worker(time.monotonic() + 0.5, False) for _ in range(concurrency)])  # warm up
        started = time.monotonic()
        await asyncio.gather(*[worker(started + seconds, True) for _ in range(concurrency)])
        return done / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15.0, help="duration of the saturated steady state")
    parser.add_argument("--in-flight", type=int, default=200, help="respond-async requests in flight")
    parser.add_argument("--poll-rate", type=float, default=100.0, help="status polls per second meanwhile")
    parser.add_argument("--sync-seconds", type=float, default=3.0, help="duration of each throughput run")
    parser.add_argument("--rounds", type=int, default=3, help="throughput runs each way")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent synchronous requests")
    args = parser.parse_args()

    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    with ManagedServer(python_command("mock_container", "--port", "{port}"), name="mock") as mock, \
            ManagedServer(python_command("conformance", "gateway", "--port", "{port}",
                                         "--deployment", f"mock={mock.url}", "--workers", str(WORKERS)),
                           name="gateway") as gateway:
        gateway_process = psutil.Process(gateway._proc.pid)  # type: ignore[union-attr]
        rss_before = gateway_process.memory_info().rss

        print(f"1. respond-async accept latency, container saturated: every call {DELAY:g} s, "
              f"{WORKERS} gateway workers, about {args.in_flight} requests in flight")
        burst, steady = asyncio.run(
            accept_latency(gateway.url, args.in_flight, args.seconds, WORKERS, DELAY, args.poll_rate))
        print(f"   burst of {args.in_flight} simultaneous submissions: {describe(burst)}")
        print(f"   steady {args.seconds:g} s, {WORKERS / DELAY:g} submissions/s + {args.poll_rate:g} status polls/s, "
              f"in flight {min(steady.in_flight)}..{max(steady.in_flight)}:")
        print(f"     {describe(steady)}")
        p99 = percentile(steady.latencies, 0.99)
        print(f"   goal p99 < 50 ms (steady state): {'MET' if p99 < 0.050 else 'NOT MET'}")
        rss_after = gateway_process.memory_info().rss
        print(f"   gateway RSS {rss_before / 2**20:.0f} MiB -> {rss_after / 2**20:.0f} MiB")

        print(f"2. synchronous throughput, {args.concurrency} concurrent POSTs of 1 KiB, "
              f"{args.rounds} interleaved rounds of {args.sync_seconds:g} s each way")
        direct, proxied = [], []
        for _ in range(args.rounds):  # interleaved, so a noisy neighbour hits both sides alike
            direct.append(asyncio.run(sync_throughput(f"{mock.url}/generate", args.concurrency, args.sync_seconds)))
            proxied.append(asyncio.run(
                sync_throughput(f"{gateway.url}/mock/generate", args.concurrency, args.sync_seconds)))
        ratio = sum(proxied) / sum(direct)
        print(f"   direct to the mock: {' '.join(f'{r:.0f}' for r in direct)} req/s   "
              f"through the gateway: {' '.join(f'{r:.0f}' for r in proxied)} req/s")
        rounds = " ".join(f"{p / d:.2f}" for p, d in zip(proxied, direct, strict=True))
        print(f"   ratio {ratio:.2f} (per round: {rounds})   goal >= 0.5: {'MET' if ratio >= 0.5 else 'NOT MET'}")

if __name__ == "__main__":
    main()
