"""The worst requests a mock container can be sent, all at once: its memory
stays under its caps and `/health` keeps answering.

Sends, concurrently and for `--seconds`, the requests issue #15 measured (and
their kin), from `--workers` clients each:

- `sse-100k-of-32MiB`: 100 000 SSE events repeating 32 MiB of random bytes
  (refused with 400 by arithmetic, before any work);
- `sse-32MiB-webhook`: 3 SSE events of 32 MiB of random bytes, signed and
  sent to a webhook target that reads slowly;
- `random-32MiB-slow-reader`: 32 MiB of random bytes to a client that reads
  64 KiB, then waits 2 s and hangs up;
- `upload-32MiB`: a 32 MiB request body;
- `webhook-retries-32MiB`: 32 MiB bodies for a webhook target that is down,
  with 20 retries 600 s apart (each would be held for hours);
- `task-32MiB`: `task-id` results of 32 MiB;
- `json-body-32MiB`: a 32 MiB JSON body holding `"mock"`;
- `head-1MiB`, `head-2MiB`: request heads just under and far over the cap.

Meanwhile it samples the mock's RSS every 20 ms and, from a process of its
own, asks `GET /health` every 50 ms on a connection of its own. Prints the peak RSS, the /health latencies
and what each kind of request was answered; exits 1 when the peak RSS is over
`--rss-limit` (1 GiB) or a /health answer took over `--health-limit` (50 ms).

Usage: .venv/bin/python benchmarks/worst_requests.py [--seconds 20] [--workers 4]

The machine's own load shows in the /health figures (a process that gets no
CPU answers late however short its event-loop steps are): read them next to
the load average printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import multiprocessing
import os
import re
import socket
import statistics
import sys
import time

import httpx
import psutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from conformance.runs.launcher import ManagedServer, free_port, python_command  # noqa: E402

MiB = 1024 * 1024
BIG = 32 * MiB
CONTENT_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.IGNORECASE)


def request(method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: mock", "Connection: close", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def exchange(port: int, raw: bytes, slow: bool = False) -> str:
    """Send one request on its own connection and read the answer (all of it,
    or 64 KiB then hang up 2 s later when `slow`); returns its status code."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=MiB)
    except OSError as exc:
        return type(exc).__name__
    try:
        writer.write(raw)
        await writer.drain()
        first = await reader.read(65536)
        status = first[9:12].decode("latin-1", "replace") if first.startswith(b"HTTP/1.1 ") else "no answer"
        if slow:
            await asyncio.sleep(2)
        else:
            while await reader.read(MiB):
                pass
        return status
    except OSError as exc:
        return type(exc).__name__
    finally:
        writer.close()


async def slow_webhook_target(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Reads a webhook 64 KiB every 10 ms (about 6 MB/s), then answers 200."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        found = CONTENT_LENGTH.search(head)
        remaining = int(found.group(1)) if found else 0
        while remaining > 0 and (chunk := await reader.read(min(65536, remaining))):
            remaining -= len(chunk)
            await asyncio.sleep(0.01)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


def kinds(hook: str, down: str) -> dict[str, tuple[bytes, bool]]:
    """Each kind of worst request: (raw request, read slowly)."""
    x = "X-Mock-"
    upload = b"u" * BIG
    json_body = b'{"mock": {"status": 201}, "pad": "' + b"p" * (BIG - 64) + b'"}'
    return {
        "sse-100k-of-32MiB": (request("GET", "/sse", {x + "Stream": "sse", x + "Stream-Count": "100000",
                                                      x + "Stream-Interval": "0", x + "Random-Bytes": str(BIG)}), False),
        "sse-32MiB-webhook": (request("GET", "/sse", {x + "Stream": "sse", x + "Stream-Count": "3",
                                                      x + "Random-Bytes": str(BIG), x + "Webhook-Url": hook,
                                                      x + "Webhook-Secret": "s"}), False),
        "random-32MiB-slow-reader": (request("GET", "/big", {x + "Random-Bytes": str(BIG)}), True),
        "upload-32MiB": (request("POST", "/upload", {}, upload), False),
        "webhook-retries-32MiB": (request("GET", "/hook", {x + "Random-Bytes": str(BIG), x + "Webhook-Url": down,
                                                           x + "Webhook-Retries": "20",
                                                           x + "Webhook-Backoff": "600"}), False),
        "task-32MiB": (request("GET", "/task", {"Prefer": "respond-async", x + "Async": "task-id",
                                                x + "Random-Bytes": str(BIG)}), False),
        "json-body-32MiB": (request("POST", "/json", {"Content-Type": "application/json"}, json_body), False),
        "head-1MiB": (request("GET", "/head", {"X-Pad": "h" * (MiB - 4096)}), False),
        "head-2MiB": (request("GET", "/head", {"X-Pad": "h" * 2 * MiB}), False),
    }


async def worker(port: int, raw: bytes, slow: bool, until: float, tally: collections.Counter) -> None:
    while time.monotonic() < until:
        tally[await exchange(port, raw, slow)] += 1


def probe_health(port: int, seconds: float, results) -> None:
    """In a process of its own (so the load clients' event loop does not delay
    it): GET /health every 50 ms on one keep-alive connection, timing each."""
    latencies = []
    until = time.monotonic() + seconds
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        reader = sock.makefile("rb")
        while time.monotonic() < until:
            started = time.perf_counter()
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: mock\r\n\r\n")
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            reader.read(length)
            latencies.append(time.perf_counter() - started)
            time.sleep(0.05)
    results.put(latencies)


async def sample_rss(process: psutil.Process, until: float, samples: list[int]) -> None:
    while time.monotonic() < until:
        samples.append(process.memory_info().rss)
        await asyncio.sleep(0.02)


async def run(port: int, pid: int, seconds: float, workers: int, only: list[str]) -> dict:
    target = await asyncio.start_server(slow_webhook_target, "127.0.0.1", 0)
    hook = f"http://127.0.0.1:{target.sockets[0].getsockname()[1]}/hook"
    down = f"http://127.0.0.1:{free_port()}/down"
    until = time.monotonic() + seconds
    tallies = {name: collections.Counter() for name in kinds(hook, down)}
    rss: list[int] = []
    results = multiprocessing.Queue()
    prober = multiprocessing.Process(target=probe_health, args=(port, seconds, results))
    prober.start()
    # The load clients yield the CPU to the mock and the prober: what is measured is
    # the mock's own event loop, not a machine our clients keep busy.
    os.nice(10)
    process = psutil.Process(pid)
    cpu_before = process.cpu_times()
    jobs = [sample_rss(process, until, rss)]
    for name, (raw, slow) in kinds(hook, down).items():
        if only and name not in only:
            continue
        jobs += [worker(port, raw, slow, until, tallies[name]) for _ in range(workers)]
    async with target:
        await asyncio.gather(*jobs)
    cpu_after = process.cpu_times()
    latencies = await asyncio.to_thread(results.get, True, 60)
    prober.join(10)
    cpu = (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system)
    return {"tallies": tallies, "latencies": latencies, "rss": rss, "cpu": cpu}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=4, help="clients per kind of request")
    parser.add_argument("--rss-limit", type=int, default=1024 * MiB)
    parser.add_argument("--health-limit", type=float, default=0.050)
    parser.add_argument("--only", action="append", default=[], help="send only this kind (repeatable)")
    args = parser.parse_args()

    mock = ManagedServer(python_command("mock_container", "--port", "{port}"), name="mock-worst").start()
    try:
        pid = mock._proc.pid
        idle = psutil.Process(pid).memory_info().rss
        result = asyncio.run(run(mock.port, pid, args.seconds, args.workers, args.only))
        stats = httpx.get(mock.url + "/_mock/stats", timeout=10).json()
    finally:
        mock.stop()

    peak = max(result["rss"])
    latencies = sorted(result["latencies"])
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"{args.seconds:g} s, {args.workers} clients per kind, load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    for name, tally in result["tallies"].items():
        if not tally:
            continue
        print(f"  {name:26} {dict(sorted(tally.items()))}")
    print(f"mock CPU: {result['cpu']:.1f} s of {args.seconds:g} s")
    print(f"mock RSS: idle {idle / MiB:.0f} MiB, peak {peak / MiB:.0f} MiB (limit {args.rss_limit / MiB:.0f} MiB)")
    print(f"/health: {len(latencies)} answers, p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
          f"max {latencies[-1] * 1000:.1f} ms (limit {args.health_limit * 1000:.0f} ms)")
    print("mock stats: " + ", ".join(f"{key}={stats[key]}" for key in (
        "received", "invalid", "over_budget", "too_large", "webhooks_pending", "webhooks_delivered",
        "inflight_bytes", "webhooks_bytes", "tasks_bytes")))
    ok = peak <= args.rss_limit and latencies[-1] <= args.health_limit
    print("OK" if ok else "OVER A LIMIT")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
