"""How many calls each scenario / correlation has made: drives `fail-first`
and makes seeded random draws reproducible per call."""

from __future__ import annotations

__all__ = ["CallCounter"]


class CallCounter:
    """Bounded: beyond `limit` keys the oldest key is forgotten (its count restarts)."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self._counts: dict[str, int] = {}

    def next(self, key: str) -> int:
        """Count one more call of `key`; returns its 1-based call number."""
        count = self._counts.get(key, 0) + 1
        if count == 1 and len(self._counts) >= self.limit:
            del self._counts[next(iter(self._counts))]
        self._counts[key] = count
        return count

    def forget(self, key: str) -> None:
        self._counts.pop(key, None)

    def clear(self) -> None:
        self._counts.clear()
