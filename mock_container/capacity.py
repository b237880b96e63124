"""At most C requests in flight: beyond that, refuse (429 / 503) or queue FIFO."""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["Gate"]


class Gate:
    def __init__(self, capacity: int, over_capacity: str) -> None:
        self.capacity = capacity  # 0 = unlimited
        self.queueing = over_capacity == "queue"
        self.in_flight = 0
        self._queue: deque[asyncio.Future] = deque()

    async def enter(self) -> bool:
        """Take a slot; False when full and not queueing (the caller refuses)."""
        if self.capacity == 0 or self.in_flight < self.capacity:
            self.in_flight += 1
            return True
        if not self.queueing:
            return False
        future = asyncio.get_running_loop().create_future()
        self._queue.append(future)
        try:
            await future  # leave() hands its slot over: in_flight stays the same
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.leave()  # the slot was handed over just before the cancel
            else:
                self._queue.remove(future)
            raise
        return True

    def leave(self) -> None:
        while self._queue:
            future = self._queue.popleft()
            if not future.done():
                future.set_result(None)
                return
        self.in_flight -= 1

    @property
    def queued(self) -> int:
        return len(self._queue)
