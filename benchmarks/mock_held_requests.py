"""The mock holding many delayed requests at once, in one run:

1. delay accuracy of 1,000 concurrent delayed requests (goal: p99 error < 20 ms),
   sent over 0.5 s with delays of 1-2 s so all are in flight together; the same
   written all at once is printed too (that adds the time to read the burst);
2. server RSS while 10,000 requests are held concurrently (goal < 400 MB).

    .venv/bin/python benchmarks/mock_held_requests.py

The client is a small asyncio/uvloop HTTP/1.1 client in this process (raw
keep-alive connections): wrk cannot hold 10,000 connections each with one
request, nor report a per-request error against its own asked delay.
The mock's throughput next to its peers is benchmarks/bench_mock_container.py.
"""

from __future__ import annotations

import asyncio
import random
import re
import sys
import time
from dataclasses import dataclass

import httpx
import psutil
import uvloop

from servers import ServerSpec, mock_argv, running

from mock_container.server import raise_open_file_limit

CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)
BODY = b'{"inputs": "a short prompt for the model", "parameters": {"max_tokens": 16}}'
HEALTH = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
MOCK = ServerSpec("mock", mock_argv)


# --- a minimal HTTP/1.1 client ---------------------------------------------------------------


class Connection(asyncio.Protocol):
    """One keep-alive connection; `request()` sends bytes, awaits one whole response."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        match = CONTENT_LENGTH.search(self.buffer, 0, end + 2)
        total = end + 4 + (int(match.group(1)) if match else 0)
        if len(self.buffer) >= total:
            status = int(self.buffer[9:12])
            del self.buffer[:total]
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_result(status)

    def connection_lost(self, exc) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.cancel()  # whoever waits sees CancelledError; nobody waiting logs nothing

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


def raw_request(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
             f"Content-Length: {len(BODY)}", *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + BODY


# --- 1. delay accuracy -----------------------------------------------------------------------


async def delay_accuracy(port: int, count: int = 1000, window: float = 0.5) -> list[float]:
    """Client-side error (elapsed - asked delay) of `count` requests with delays of
    1..2 s, sent over `window` seconds (0: all written at once), so all of them
    are in flight together."""
    conns = await connect(port, count)
    for start in range(0, count, 500):  # one request on each: the server has accepted them all
        await asyncio.gather(*(c.request(HEALTH) for c in conns[start:start + 500]))
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


# --- 2. memory of held requests --------------------------------------------------------------


@dataclass(frozen=True)
class Held:
    idle_rss: int
    held_rss: int
    ramp: float  # seconds until all were in flight


async def held_memory(port: int, pid: int, count: int = 10_000, hold: float = 120.0) -> Held:
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
    held = Held(idle, process.memory_info().rss, time.perf_counter() - started)
    for conn in conns:
        conn.close()
    return held


# --- main ------------------------------------------------------------------------------------


def _percentiles(errors: list[float]) -> tuple[float, float, float, float]:
    """(p50, p99, min, max) in milliseconds."""
    ms = sorted(e * 1000 for e in errors)
    return ms[len(ms) // 2], ms[min(len(ms) - 1, int(len(ms) * 0.99))], ms[0], ms[-1]


def report(errors: list[float], burst: list[float], held: Held) -> None:
    p50, p99, low, high = _percentiles(errors)
    b50, b99, _, bhigh = _percentiles(burst)
    mb = 1024 * 1024
    print("\nmock container: held requests")
    print(f"  delay accuracy    {len(errors)} concurrent (sent over 0.5 s)   error p50 {p50:.1f} ms   "
          f"p99 {p99:.1f} ms   min {low:.1f} ms   max {high:.1f} ms   (goal p99 < 20 ms) "
          f"{'PASS' if p99 < 20 else 'MISS'}")
    print(f"                    {len(burst)} written at once (burst)   error p50 {b50:.1f} ms   "
          f"p99 {b99:.1f} ms   max {bhigh:.1f} ms   (information: includes the server reading the burst)")
    print(f"  held requests     10000 in flight after {held.ramp:.1f} s   RSS {held.held_rss / mb:.0f} MB "
          f"(idle {held.idle_rss / mb:.0f} MB)   (goal < 400 MB) {'PASS' if held.held_rss < 400 * mb else 'MISS'}")


async def run_all() -> tuple[list[float], list[float], Held]:
    with running(MOCK) as mock:
        errors = await delay_accuracy(mock.port, window=0.5)
        burst = await delay_accuracy(mock.port, window=0.0)
    with running(MOCK) as mock:  # a fresh process: RSS of held requests, not of earlier ones
        held = await held_memory(mock.port, mock.pid)
    return errors, burst, held


def main() -> None:
    if len(sys.argv) > 1:
        sys.exit(__doc__)
    raise_open_file_limit()
    started = time.perf_counter()
    report(*uvloop.run(run_all()))
    print(f"  total time        {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
