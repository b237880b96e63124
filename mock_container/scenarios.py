"""Named behaviours registered over the control API."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["ScenarioStore", "ScenarioLimitError"]


class ScenarioLimitError(Exception):
    """Too many scenarios registered."""


class ScenarioStore(Mapping[str, Mapping[str, Any]]):
    """name -> checked wire fields (the parser reads it as a mapping)."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._scenarios: dict[str, dict[str, Any]] = {}

    def put(self, name: str, fields: dict[str, Any]) -> bool:
        """Register or replace; True when it replaced an existing one."""
        existed = name in self._scenarios
        if not existed and len(self._scenarios) >= self.limit:
            raise ScenarioLimitError(f"at most {self.limit} scenarios")
        self._scenarios[name] = fields
        return existed

    def delete(self, name: str) -> bool:
        return self._scenarios.pop(name, None) is not None

    def clear(self) -> None:
        self._scenarios.clear()

    def __getitem__(self, name: str) -> Mapping[str, Any]:
        return self._scenarios[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._scenarios)

    def __len__(self) -> int:
        return len(self._scenarios)
