"""Mock container benchmarks, measured in one run:

1. echo throughput of the mock as a ratio to a bare Starlette app returning a
   constant, both served with the same uvicorn settings (goal >= 0.7);
2. delay accuracy of 1,000 concurrent delayed requests (goal: p99 error < 20 ms),
   sent over 0.5 s with delays of 1-2 s so all are in flight together; the same
   written all at once is printed too (that adds the time to read the burst);
3. server RSS while 10,000 requests are held concurrently (goal < 400 MB).

Usage: .venv/bin/python benchmarks/mock_container.py [--seconds 1.5] [--rounds 8] [--connections 64]

Servers run as subprocesses; the load comes from a small asyncio/uvloop HTTP/1.1
client in this process (raw keep-alive connections, no client library
overhead), the same client for both servers, so the ratio compares servers.
Both servers stay up during the throughput part and are loaded in short
alternating windows, so load from other processes on a shared machine hits
both alike; the ratio is of the mean rates over all windows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import psutil
import uvloop

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from mock_container.server import raise_open_file_limit  # noqa: E402

CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)
BODY = b'{"inputs": "a short prompt for the model", "parameters": {"max_tokens": 16}}'


# --- servers -------------------------------------------------------------------------------


def baseline_app():
    """The bare Starlette app the mock is compared with: one route, a constant."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def constant(request):
        return Response(b'{"ok":true}', media_type="application/json")

    return Starlette(routes=[Route("/{path:path}", constant, methods=["GET", "POST"])])


def serve_baseline(port: int) -> None:
    from mock_container.server import run

    run(baseline_app(), "127.0.0.1", port)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(argv: list[str], port: int):
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{argv} exited with {proc.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{argv} not healthy after 20 s")
            time.sleep(0.05)  # waiting for a port to open: nothing to synchronise on
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def mock_argv(port: int) -> list[str]:
    return [sys.executable, "-m", "mock_container", "--port", str(port)]


def baseline_argv(port: int) -> list[str]:
    return [sys.executable, os.path.abspath(__file__), "--serve-baseline", str(port)]


# --- a minimal HTTP/1.1 client ---------------------------------------------------------------


class Connection(asyncio.Protocol):
    """One keep-alive connection; `request()` sends bytes, awaits one whole response."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future | None = None
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        match = CONTENT_LENGTH.search(self.buffer, 0, end + 2)
        length = int(match.group(1)) if match else 0
        total = end + 4 + length
        if len(self.buffer) >= total:
            status = int(self.buffer[9:12])
            del self.buffer[:total]
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_result(status)

    def connection_lost(self, exc) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.cancel()  # whoever waits sees CancelledError; nobody waiting logs nothing
        if not self.closed.done():
            self.closed.set_result(None)

    async def request(self, raw: bytes) -> int:
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def connect(port: int, count: int, batch: int = 500) -> list[Connection]:
    loop = asyncio.get_running_loop()
    out: list[Connection] = []
    for start in range(0, count, batch):
        pairs = await asyncio.gather(*(loop.create_connection(Connection, "127.0.0.1", port)
                                       for _ in range(min(batch, count - start))))
        out.extend(protocol for _, protocol in pairs)
    return out


def raw_request(path: str, headers: dict[str, str] | None = None, body: bytes = BODY) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
             f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


# --- 1. throughput ---------------------------------------------------------------------------


class Load:
    """Load on one server during `window()` only, so several servers can stay up
    and be measured in alternating windows. Connections are opened per window
    (the server closes idle keep-alive connections after 5 s)."""

    def __init__(self, port: int, connections: int, headers: dict[str, str] | None = None) -> None:
        self.port = port
        self.connections = connections
        self.request = raw_request("/v1/generate?model=bench", headers)

    async def window(self, seconds: float, ramp: float = 0.3) -> float:
        """Requests per second completed during `seconds` of full load."""
        conns = await connect(self.port, self.connections)
        counting, stop, done = False, False, 0

        async def worker(conn: Connection) -> None:
            nonlocal done
            while not stop:
                status = await conn.request(self.request)
                if status != 200:
                    raise RuntimeError(f"status {status}")
                if counting:
                    done += 1

        tasks = [asyncio.create_task(worker(c)) for c in conns]
        await asyncio.sleep(ramp)
        counting = True
        started = time.perf_counter()
        await asyncio.sleep(seconds)
        counting = False
        elapsed = time.perf_counter() - started
        measured = done
        stop = True
        await asyncio.gather(*tasks)
        for conn in conns:
            conn.close()
        return measured / elapsed


async def throughput(base_port: int, mock_port: int, windows: int, seconds: float,
                     connections: int) -> tuple[list[float], list[float], list[float]]:
    """(baseline, mock, mock with X-Mock-Correlation) rates, one per window, the
    three measured in turn in every round so load from elsewhere hits all alike."""
    loads = [Load(base_port, connections), Load(mock_port, connections),
             Load(mock_port, connections, {"X-Mock-Correlation": "bench"})]
    for load in loads:
        await load.window(1.0)  # warm-up
    rates: list[list[float]] = [[], [], []]
    for round_index in range(windows):
        order = range(3) if round_index % 2 == 0 else reversed(range(3))
        for index in order:
            rates[index].append(await loads[index].window(seconds))
    return rates[0], rates[1], rates[2]


# --- 2. delay accuracy -----------------------------------------------------------------------

HEALTH = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


async def accepted(conns: list[Connection], batch: int = 500) -> None:
    """One request on every connection, so the server has accepted them all."""
    for start in range(0, len(conns), batch):
        await asyncio.gather(*(c.request(HEALTH) for c in conns[start:start + batch]))


async def delay_accuracy(port: int, count: int = 1000, window: float = 0.5) -> list[float]:
    """Client-side error (elapsed - asked delay) of `count` requests with delays of
    1..2 s, sent over `window` seconds (0: all written at once), so all of them
    are in flight together."""
    conns = await connect(port, count)
    await accepted(conns)
    rng = random.Random(1)
    delays = [round(rng.uniform(1.0, 2.0), 3) for _ in range(count)]
    errors: list[float] = []
    loop = asyncio.get_running_loop()
    begin = loop.time() + 0.05

    async def one(index: int, conn: Connection, delay: float) -> None:
        request = raw_request("/delayed", {"X-Mock-Delay": str(delay), "X-Mock-Correlation": "bench-delay"})
        await asyncio.sleep(max(0.0, begin + window * index / count - loop.time()))
        started = time.perf_counter()
        status = await conn.request(request)
        elapsed = time.perf_counter() - started
        if status != 200:
            raise RuntimeError(f"status {status}")
        errors.append(elapsed - delay)

    await asyncio.gather(*(one(i, c, d) for i, (c, d) in enumerate(zip(conns, delays, strict=True))))
    for conn in conns:
        conn.close()
    return errors


# --- 3. memory of held requests --------------------------------------------------------------


async def held_memory(port: int, pid: int, count: int = 10_000, hold: float = 120.0) -> tuple[float, float, float]:
    """(idle RSS, RSS with `count` requests held, seconds to get them all in flight)."""
    process = psutil.Process(pid)
    idle = process.memory_info().rss
    started = time.perf_counter()
    conns = await connect(port, count)
    request = raw_request("/held", {"X-Mock-Delay": str(hold), "X-Mock-Correlation": "bench-held"})
    for conn in conns:
        conn.waiter = asyncio.get_running_loop().create_future()
        conn.transport.write(request)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        deadline = time.monotonic() + 60
        while True:
            stats = (await client.get("/_mock/stats")).json()
            if stats["in_flight"] >= count:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {stats['in_flight']} of {count} requests in flight after 60 s")
            await asyncio.sleep(0.2)  # polling a counter of another process: bounded, with a deadline
    ramp = time.perf_counter() - started
    held = process.memory_info().rss
    for conn in conns:
        conn.close()
    return idle, held, ramp


# --- main ------------------------------------------------------------------------------------


def _percentiles(errors: list[float]) -> tuple[float, float, float, float]:
    """(p50, p99, min, max) in milliseconds."""
    ms = sorted(e * 1000 for e in errors)
    return ms[len(ms) // 2], ms[min(len(ms) - 1, int(len(ms) * 0.99))], ms[0], ms[-1]


@dataclass
class Report:
    mock_rps: list[float]
    base_rps: list[float]
    tagged_rps: list[float]
    errors: list[float]
    burst_errors: list[float]
    idle_rss: float
    held_rss: float
    ramp: float

    def print(self) -> None:
        base = sum(self.base_rps) / len(self.base_rps)
        mock = sum(self.mock_rps) / len(self.mock_rps)
        ratio = mock / base
        per_window = sorted(m / b for m, b in zip(self.mock_rps, self.base_rps, strict=True))
        p50, p99, low, high = _percentiles(self.errors)
        b50, b99, _, bhigh = _percentiles(self.burst_errors)
        mb = 1024 * 1024
        print()
        print("mock container benchmarks")
        print(f"  echo throughput   mock {mock:8.0f} req/s   bare starlette {base:8.0f} req/s   "
              f"ratio {ratio:.2f}   (goal >= 0.70) {'OK' if ratio >= 0.7 else 'MISSED'}")
        print(f"                    {len(per_window)} alternating windows: ratio per window min {per_window[0]:.2f}  "
              f"median {statistics.median(per_window):.2f}  max {per_window[-1]:.2f}")
        tagged = sum(self.tagged_rps) / len(self.tagged_rps)
        print(f"  tagged echo       mock with X-Mock-Correlation {tagged:8.0f} req/s   ratio {tagged / base:.2f}   "
              f"(information: the suite's usual request)")
        print(f"  delay accuracy    {len(self.errors)} concurrent (sent over 0.5 s)   error p50 {p50:.1f} ms   "
              f"p99 {p99:.1f} ms   min {low:.1f} ms   max {high:.1f} ms   (goal p99 < 20 ms) "
              f"{'OK' if p99 < 20 else 'MISSED'}")
        print(f"                    {len(self.burst_errors)} written at once (burst)   error p50 {b50:.1f} ms   "
              f"p99 {b99:.1f} ms   max {bhigh:.1f} ms   (information: includes the server reading the burst)")
        print(f"  held requests     10000 in flight after {self.ramp:.1f} s   RSS {self.held_rss / mb:.0f} MB "
              f"(idle {self.idle_rss / mb:.0f} MB)   (goal < 400 MB) {'OK' if self.held_rss < 400 * mb else 'MISSED'}")


async def run_all(seconds: float, connections: int, rounds: int) -> Report:
    base_port, mock_port = free_port(), free_port()
    with server(baseline_argv(base_port), base_port), server(mock_argv(mock_port), mock_port):
        base_rps, mock_rps, tagged_rps = await throughput(base_port, mock_port, rounds, seconds, connections)
    port = free_port()
    with server(mock_argv(port), port):
        errors = await delay_accuracy(port, window=0.5)
        burst_errors = await delay_accuracy(port, window=0.0)
    port = free_port()
    with server(mock_argv(port), port) as proc:
        idle, held, ramp = await held_memory(port, proc.pid)
    return Report(mock_rps, base_rps, tagged_rps, errors, burst_errors, idle, held, ramp)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=1.5, help="measured seconds per throughput window")
    parser.add_argument("--connections", type=int, default=64, help="keep-alive connections for throughput")
    parser.add_argument("--rounds", type=int, default=8, help="throughput windows per server, alternated")
    parser.add_argument("--serve-baseline", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(args.serve_baseline)
        return
    raise_open_file_limit()
    started = time.perf_counter()
    report = uvloop.run(run_all(args.seconds, args.connections, args.rounds))
    report.print()
    print(f"  total time        {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
