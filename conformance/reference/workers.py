"""Per-deployment worker pools: a bounded queue and a fixed number of workers.

respond-async and respond-async-proxy submissions become `Job`s. A job
waits in its deployment's queue (status `Queue`) until one of the
deployment's workers takes it, so a saturated container never holds up the
202 and never sees more concurrent calls than there are workers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ..contract.prefer import Mode
from .config import Deployment
from .proxy import ForwardRequest
from .store import StoredRequest

__all__ = ["Job", "WorkerPool", "QueueFull"]

log = logging.getLogger("conformance.reference")


@dataclass(eq=False)
class Job:
    mode: Mode
    deployment: Deployment
    request: ForwardRequest
    #: The status record (respond-async only).
    record: StoredRequest | None = None
    #: Bytes of the request body held in the gateway's budget until it is forwarded.
    reserved: int = 0
    #: Set once the worker is done with the job, whatever happened.
    finished: asyncio.Event = field(default_factory=asyncio.Event)


class QueueFull(Exception):
    pass


class WorkerPool:
    """`workers` tasks taking jobs from one queue of at most `queue_size` waiting jobs."""

    def __init__(
        self,
        name: str,
        workers: int,
        queue_size: int,
        run: Callable[[Job], Awaitable[None]],
        take: Callable[[asyncio.Queue[Job]], Awaitable[Job]] | None = None,
    ) -> None:
        self.name = name
        self.size = workers
        self.queue: asyncio.Queue[Job] = asyncio.Queue(maxsize=queue_size)
        self._run = run
        self._take = take or (lambda queue: queue.get())
        self._tasks: list[asyncio.Task[None]] = []
        self.busy = 0

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._work(), name=f"worker-{self.name}-{index}") for index in range(self.size)
        ]

    def full(self) -> bool:
        return self.queue.full()

    def submit(self, job: Job) -> None:
        try:
            self.queue.put_nowait(job)
        except asyncio.QueueFull:
            raise QueueFull(self.name) from None

    async def _work(self) -> None:
        while True:
            job = await self._take(self.queue)
            self.busy += 1
            try:
                await self._run(job)
            except Exception:  # one bad job must not take a worker down with it
                log.exception("worker %s: job failed", self.name)
            finally:
                self.busy -= 1
                job.finished.set()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
