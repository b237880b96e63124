"""Named behaviours registered over the control API, bounded by count and bytes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .memory import OVERHEAD, Budget

__all__ = ["ScenarioStore", "ScenarioLimitError", "DEFAULT_SCENARIO_BYTES"]

DEFAULT_SCENARIO_BYTES = 32 * 1024 * 1024
#: A parsed JSON value takes several times its encoded size as Python objects.
JSON_VALUE_FACTOR = 4


class ScenarioLimitError(Exception):
    """Too many scenarios registered, or too many bytes."""


def scenario_cost(fields: Mapping[str, Any]) -> int:
    """Bytes a registered scenario holds: its text values, its resolved bodies,
    and its `json` value as parsed objects (estimated from its encoding)."""
    resolved = getattr(fields, "resolved", {})
    cost = OVERHEAD
    for name, value in fields.items():
        cost += len(name) + (len(value) if isinstance(value, str) else 64)
        encoded = resolved.get(name)
        if isinstance(encoded, bytes):
            cost += len(encoded) * (1 + JSON_VALUE_FACTOR if name == "json" else 1)
    return cost


class ScenarioStore(Mapping[str, Mapping[str, Any]]):
    """name -> checked wire fields (the parser reads it as a mapping)."""

    def __init__(self, limit: int = 10_000, byte_limit: int = DEFAULT_SCENARIO_BYTES) -> None:
        self.limit = limit
        self.budget = Budget("scenarios", byte_limit, "--scenario-bytes")
        self._scenarios: dict[str, dict[str, Any]] = {}
        self._costs: dict[str, int] = {}

    def put(self, name: str, fields: dict[str, Any]) -> bool:
        """Register or replace; True when it replaced an existing one."""
        existed = name in self._scenarios
        if not existed and len(self._scenarios) >= self.limit:
            raise ScenarioLimitError(f"at most {self.limit} scenarios")
        cost = scenario_cost(fields)
        freed = self._costs.get(name, 0)
        budget = self.budget
        if budget.held - freed + cost > budget.limit:
            raise ScenarioLimitError(
                f"this scenario holds about {cost} bytes; registered scenarios may hold at most {budget.limit} "
                f"(--scenario-bytes), {budget.held - freed} are taken")
        budget.give(freed)
        budget.take(cost)
        self._scenarios[name] = fields
        self._costs[name] = cost
        return existed

    def delete(self, name: str) -> bool:
        if self._scenarios.pop(name, None) is None:
            return False
        self.budget.give(self._costs.pop(name))
        return True

    def clear(self) -> None:
        self._scenarios.clear()
        self._costs.clear()
        self.budget.held = 0

    def __getitem__(self, name: str) -> Mapping[str, Any]:
        return self._scenarios[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._scenarios)

    def __len__(self) -> int:
        return len(self._scenarios)
