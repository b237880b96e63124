"""A TCP relay that adds latency each way: a far-away gateway, on loopback.

    python -m tests.hosted.relay --port 9000 --upstream 127.0.0.1:8080 --delay 0.03

Every byte read from one side is written to the other `--delay` seconds
later, in order, whatever else is in flight: a connection then behaves like
one across a network with that one-way latency (a round trip costs twice
it), with no bandwidth limit. A half-close travels the same way, delayed
like the data before it. The relay has no routes of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

#: bytes read per chunk (each chunk is delayed on its own)
CHUNK = 65536
#: an end-of-stream marker in a direction's queue
EOF = b""


async def _read(reader: asyncio.StreamReader, queue: asyncio.Queue, delay: float) -> None:
    loop = asyncio.get_running_loop()
    try:
        while True:
            data = await reader.read(CHUNK)
            await queue.put((loop.time() + delay, data))
            if not data:
                return
    except (ConnectionError, OSError):
        await queue.put((loop.time() + delay, EOF))


async def _write(writer: asyncio.StreamWriter, queue: asyncio.Queue) -> None:
    loop = asyncio.get_running_loop()
    try:
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)  # the latency itself: the chunk is due then, not earlier
            if data == EOF:
                if writer.can_write_eof():
                    writer.write_eof()
                await writer.drain()
                return
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        return


async def _pipe(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter,
                host: str, port: int, delay: float) -> None:
    try:
        upstream_reader, upstream_writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
    except (OSError, asyncio.TimeoutError):
        client_writer.close()
        return
    up: asyncio.Queue = asyncio.Queue()
    down: asyncio.Queue = asyncio.Queue()
    tasks = [
        asyncio.create_task(_read(client_reader, up, delay)),
        asyncio.create_task(_write(upstream_writer, up)),
        asyncio.create_task(_read(upstream_reader, down, delay)),
        asyncio.create_task(_write(client_writer, down)),
    ]
    try:
        # both directions done (each ends at its EOF), or one side gone
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        for writer in (client_writer, upstream_writer):
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def serve(port: int, upstream: str, delay: float) -> None:
    host, _, upstream_port = upstream.rpartition(":")
    server = await asyncio.start_server(lambda r, w: _pipe(r, w, host, int(upstream_port), delay),
                                        "127.0.0.1", port, backlog=1024)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True, help="HOST:PORT to relay to")
    parser.add_argument("--delay", type=float, default=0.03, help="seconds added each way")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.upstream, args.delay))


if __name__ == "__main__":
    main()
