"""How late the suite's own event loop ran while a check timed something.

A latency the suite measures (an accept within T_accept, the first piece of
a stream before the container finished producing it) includes the time
the suite itself took to notice the answer. On a loaded machine (parallel
test workers, the properties' hypothesis threads holding the GIL) the
loop may wake up late, and an answer that came in time is read late. A
check times with a `LoopLag` open: a ticker that sleeps a few milliseconds
at a time and keeps the worst overshoot. A measurement is evidence against
the gateway only when it exceeds its bound by more than the suite's own
lateness; otherwise the check measures again, and a measurement the suite
could never take cleanly is not judged (never failed).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

__all__ = ["LoopLag", "watching_lag", "TICK", "Timing", "TimedVerdict", "measure_against"]

#: seconds between two ticks of the watcher
TICK = 0.01


@dataclass
class LoopLag:
    """The worst lateness seen so far, in seconds."""

    worst: float = 0.0

    def clears(self, measured: float, bound: float) -> bool:
        """Whether `measured` exceeds `bound` even when the suite's own lateness is taken off it."""
        return measured - self.worst > bound


async def _tick(lag: LoopLag) -> None:
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(TICK)
        lag.worst = max(lag.worst, loop.time() - before - TICK)


@contextlib.asynccontextmanager
async def watching_lag() -> AsyncIterator[LoopLag]:
    """Watch the running loop's lateness for the duration of the block."""
    lag = LoopLag()
    task = asyncio.create_task(_tick(lag))
    try:
        yield lag
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@dataclass(frozen=True)
class Timing:
    """One measurement: the seconds measured and how late the suite ran meanwhile."""

    seconds: float
    lag: float
    detail: str = ""

    def describe(self) -> str:
        text = f"{self.seconds:.3f} s (the suite ran up to {self.lag:.3f} s late)"
        return f"{text}: {self.detail}" if self.detail else text


@dataclass(frozen=True)
class TimedVerdict:
    """What repeated measurements against `bound` showed: "in time", "late", or "unclear"."""

    verdict: str
    readings: tuple[Timing, ...]

    def describe(self) -> str:
        return "; ".join(reading.describe() for reading in self.readings)


#: measurements before a latency is left unjudged, and clearly late ones that fail it
TRIES = 3
LATE_NEEDED = 2


async def measure_against(measure: Callable[[int], Awaitable[Timing]], bound: float, *, tries: int = TRIES,
                          late_needed: int = LATE_NEEDED) -> TimedVerdict:
    """Measure until the answer is clear: in time once, or later than `bound` plus the suite's own
    lateness `late_needed` times; "unclear" when `tries` measurements settled neither."""
    readings: list[Timing] = []
    late = 0
    for attempt in range(tries):
        reading = await measure(attempt)
        readings.append(reading)
        if reading.seconds <= bound:
            return TimedVerdict("in time", tuple(readings))
        if reading.seconds - reading.lag > bound:
            late += 1
            if late >= late_needed:
                return TimedVerdict("late", tuple(readings))
    return TimedVerdict("unclear", tuple(readings))
