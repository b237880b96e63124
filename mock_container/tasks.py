"""Results of `task-id` style requests, served later at `GET /tasks/{id}`."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["TaskResult", "TaskStore", "PENDING"]


@dataclass(frozen=True, slots=True)
class TaskResult:
    status: int
    headers: list[tuple[bytes, bytes]]  # content-type and extra headers
    body: bytes


PENDING = None


class TaskStore:
    """Bounded: beyond `limit` tasks the oldest is forgotten (then 404)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._tasks: OrderedDict[str, TaskResult | None] = OrderedDict()

    def create(self) -> str:
        task_id = secrets.token_hex(16)
        self._tasks[task_id] = PENDING
        while len(self._tasks) > self.limit:
            self._tasks.popitem(last=False)
        return task_id

    def complete(self, task_id: str, result: TaskResult) -> None:
        if task_id in self._tasks:  # forgotten tasks stay forgotten
            self._tasks[task_id] = result

    def __contains__(self, task_id: str) -> bool:
        return task_id in self._tasks

    def get(self, task_id: str) -> TaskResult | None:
        return self._tasks.get(task_id)

    def clear(self) -> None:
        self._tasks.clear()
