"""Results of `task-id` style requests, served later at `GET /tasks/{id}`."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass

from .bodies import Data, Stream
from .memory import OVERHEAD, Budget, OverBudget

__all__ = ["TaskResult", "TaskStore", "PENDING", "DEFAULT_TASK_BYTES"]

DEFAULT_TASK_BYTES = 128 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class TaskResult:
    status: int
    headers: list[tuple[bytes, bytes]]  # content-type and extra headers
    body: Data | Stream


PENDING = None


class TaskStore:
    """Bounded by count (`limit`) and by bytes (`byte_limit`): beyond either,
    the oldest task is forgotten (then 404). A task's bytes are counted from
    its creation, when the size of its result is already known."""

    def __init__(self, limit: int, byte_limit: int = DEFAULT_TASK_BYTES) -> None:
        self.limit = limit
        self.budget = Budget("tasks", byte_limit, "--task-bytes")
        self._tasks: OrderedDict[str, TaskResult | None] = OrderedDict()
        self._costs: dict[str, int] = {}

    def create(self, size: int = 0) -> str:
        """A new pending task whose result will hold `size` bytes (OverBudget
        only when one result alone is over the cap)."""
        cost = size + OVERHEAD
        if cost > self.budget.limit:
            raise OverBudget(self.budget, cost)
        while self._tasks and (len(self._tasks) >= self.limit or self.budget.held + cost > self.budget.limit):
            self._forget(next(iter(self._tasks)))
        task_id = secrets.token_hex(16)
        self.budget.take(cost)
        self._tasks[task_id] = PENDING
        self._costs[task_id] = cost
        return task_id

    def _forget(self, task_id: str) -> None:
        del self._tasks[task_id]
        self.budget.give(self._costs.pop(task_id))

    def complete(self, task_id: str, result: TaskResult) -> None:
        if task_id in self._tasks:  # forgotten tasks stay forgotten
            self._tasks[task_id] = result

    def __contains__(self, task_id: str) -> bool:
        return task_id in self._tasks

    def get(self, task_id: str) -> TaskResult | None:
        return self._tasks.get(task_id)

    def clear(self) -> None:
        self._tasks.clear()
        self._costs.clear()
        self.budget.held = 0
