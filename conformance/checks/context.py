"""What a running check holds: its clients, its ledger of verdicts, its correlation ids."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from collections.abc import Awaitable
from typing import Any, TypeVar

from conformance.judge.config import SuiteConfig
from conformance.checks.client import GatewayClient
from conformance.checks.instrument import InstanceWatch, MockControl
from conformance.http.recording import Recorder, Transcript
from conformance.judge.verdicts import Ledger

__all__ = ["CheckContext", "Signals"]

T = TypeVar("T")


@dataclass
class Signals:
    """Run-wide events checks coordinate on (the engine owns them)."""

    #: set once every timed check has sent its timed request; other checks wait for it
    timed_sent: asyncio.Event = field(default_factory=asyncio.Event)
    timed_pending: int = 0
    #: which mock instances answered the run's control requests (one, unless replicas or a restart)
    instances: InstanceWatch = field(default_factory=InstanceWatch)

    def one_timed_sent(self) -> None:
        self.timed_pending -= 1
        if self.timed_pending <= 0:
            self.timed_sent.set()


@dataclass
class CheckContext:
    name: str
    config: SuiteConfig
    run_id: str
    recorder: Recorder
    transcript: Transcript
    ledger: Ledger
    gateway: GatewayClient
    mock: MockControl
    other: GatewayClient | None
    signals: Signals
    timed: bool = False
    _counter: Any = field(default_factory=itertools.count)
    _timed_reported: bool = False

    def correlation(self, label: str = "") -> str:
        """A correlation id unique to this run, check and call (at most 128 characters)."""
        suffix = f"-{label}" if label else ""
        return f"cf-{self.run_id}-{self.name[:40]}-{next(self._counter)}{suffix}"[:128]

    def clock(self) -> float:
        return self.recorder.clock()

    # the ledger's verbs, so checks read `ctx.judge(...)`
    def judge(self, *rids: str, case: str | None = None):  # type: ignore[no-untyped-def]
        return self.ledger.judge(*rids, case=case)

    def step(self, *rids: str, case: str | None = None):  # type: ignore[no-untyped-def]
        return self.ledger.step(*rids, case=case)

    def observe(self, rid: str, summary: str, **data: Any) -> None:
        self.ledger.observe(rid, summary, **data)

    def note(self, rid: str, text: str, **data: Any) -> None:
        self.ledger.note(rid, text, **data)

    async def all(self, *coroutines: Awaitable[T]) -> list[T]:
        """Run sub-cases concurrently; every one finishes before the first error (if any) is raised.

        Unlike a bare `asyncio.gather`, no sub-case is left running to write
        into the ledger after its check has ended.
        """
        results = await asyncio.gather(*coroutines, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return list(results)

    def timed_request_sent(self) -> None:
        """Say the latency-judged request is out, so the other checks may start."""
        if self.timed and not self._timed_reported:
            self._timed_reported = True
            self.signals.one_timed_sent()

