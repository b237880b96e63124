"""A byte budget shared by queued request bodies and stored results."""

from __future__ import annotations

__all__ = ["ByteBudget"]


class ByteBudget:
    """Counts bytes held in memory against a limit.

    Admission (`try_reserve`) refuses once the limit would be passed, which is
    where the gateway answers 503. Results that arrive for already admitted
    work are always kept (`reserve`): dropping finished work would lose data,
    and the overshoot is bounded by workers x the largest result.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def try_reserve(self, size: int) -> bool:
        if self.used + size > self.limit:
            return False
        self.used += size
        return True

    def reserve(self, size: int) -> None:
        self.used += size

    def release(self, size: int) -> None:
        self.used = max(0, self.used - size)
