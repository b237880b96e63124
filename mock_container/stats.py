"""Counters shown by `GET /_mock/stats`."""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["Stats"]


@dataclass
class Stats:
    received: int = 0  # inference-side requests, including rejected ones
    in_flight: int = 0  # inference-side requests being handled right now
    invalid: int = 0  # answered 400 for an invalid behaviour
    too_large: int = 0  # answered 413
    over_capacity: int = 0  # answered 429 / 503 by the capacity gate
    faults: int = 0  # connection-level faults performed
    webhook_attempts: int = 0
    webhooks_delivered: int = 0
    webhooks_failed: int = 0  # gave up after every retry
    webhooks_pending: int = 0
    sink_deliveries: int = 0

    def to_json(self) -> dict[str, int]:
        return asdict(self)
