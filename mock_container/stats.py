"""Counters shown by `GET /_mock/stats`."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["Stats"]


@dataclass
class Stats:
    received: int = 0  # inference-side requests, including rejected ones
    in_flight: int = 0  # inference-side requests being handled right now
    invalid: int = 0  # answered 400 for an invalid behaviour
    too_large: int = 0  # answered 413
    over_capacity: int = 0  # answered 429 / 503 by the capacity gate
    over_budget: int = 0  # answered 503: a byte budget was full
    cancelled: int = 0  # on-disconnect: cancel, and the client hung up before the answer
    faults: int = 0  # connection-level faults performed
    webhook_attempts: int = 0
    webhooks_delivered: int = 0
    webhooks_failed: int = 0  # gave up after every retry
    webhooks_pending: int = 0
    sink_deliveries: int = 0
    #: byte budgets (memory.Budget) shown as `<name>_bytes`: what each store holds now
    budgets: list[Any] = field(default_factory=list, repr=False)

    def to_json(self) -> dict[str, int]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "budgets"}
        for budget in self.budgets:
            out[f"{budget.name.replace('-', '_')}_bytes"] = budget.held
        return out
