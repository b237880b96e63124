"""Byte budgets: every store of the mock counts the bytes it holds against a cap.

A `Budget` is one store's account (in-flight bodies, pending webhooks, task
results, scenarios). Work takes bytes before it holds them and gives them back
when it lets go; taking more than is left raises `OverBudget`, which the
caller turns into an answer (503 for a store that is momentarily full) before
any of the work is done.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Budget", "Hold", "OverBudget", "OVERHEAD"]

#: What one held item costs beyond its body (objects, headers, a task or a
#: coroutine), so a count of tiny items is bounded too.
OVERHEAD = 2048


class OverBudget(Exception):
    """Taking these bytes would put a store over its cap."""

    def __init__(self, budget: Budget, wanted: int) -> None:
        super().__init__(f"{budget.name}: {wanted} more bytes would exceed {budget.limit} ({budget.flag})")
        self.budget = budget
        self.wanted = wanted

    def to_json(self) -> dict[str, Any]:
        b = self.budget
        return {"error": "over memory budget", "store": b.name, "limit": b.limit, "held": b.held,
                "wanted": self.wanted, "setting": b.flag,
                "message": f"the mock holds {b.held} of at most {b.limit} bytes of {b.name} ({b.flag}); "
                           "retry when some of it is released"}


class Budget:
    """The bytes one store holds, at most `limit`."""

    __slots__ = ("name", "limit", "flag", "held", "peak")

    def __init__(self, name: str, limit: int, flag: str) -> None:
        self.name = name
        self.limit = limit
        self.flag = flag  # the setting that sets the cap, named in refusals
        self.held = 0
        self.peak = 0

    def take(self, size: int) -> None:
        if self.held + size > self.limit:
            raise OverBudget(self, size)
        self.held += size
        if self.held > self.peak:
            self.peak = self.held

    def give(self, size: int) -> None:
        self.held -= size


class Hold:
    """The bytes one piece of work holds in a budget: taken as it goes, all
    given back by one `release()` (which is safe to call twice)."""

    __slots__ = ("budget", "size")

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.size = 0

    def take(self, size: int) -> None:
        self.budget.take(size)
        self.size += size

    def give(self, size: int) -> None:
        size = min(size, self.size)
        self.budget.give(size)
        self.size -= size

    def release(self) -> None:
        self.budget.give(self.size)
        self.size = 0

    def transfer(self) -> Hold:
        """A new hold with all of this one's bytes (for work that outlives this one)."""
        other = Hold(self.budget)
        other.size, self.size = self.size, 0
        return other
