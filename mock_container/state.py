"""Everything one running mock holds, in one place, so reset is one call."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .background import Background
from .channels import BehaviourParser
from .capacity import Gate
from .counters import CallCounter
from .info import new_instance_id
from .journal import Ring
from .memory import Budget
from .scenarios import ScenarioStore
from .settings import Settings
from .stats import Stats
from .tasks import TaskStore
from .webhooks import WebhookSender

__all__ = ["MockState"]


@dataclass
class MockState:
    settings: Settings
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        s = self.settings
        self.instance = new_instance_id()  # kept by reset: the same process is the same instance
        self.stats = Stats()
        self.journal = Ring(s.journal_size, s.journal_bytes, self.instance)
        self.sink = Ring(s.journal_size, s.journal_bytes, self.instance)
        self.scenarios = ScenarioStore(byte_limit=s.scenario_bytes)
        self.parser = BehaviourParser(s, self.scenarios)
        self.counters = CallCounter()
        self.sink_counters = CallCounter()
        self.gate = Gate(s.capacity, s.over_capacity)
        self.tasks = TaskStore(s.journal_size, s.task_bytes)
        self.background = Background()
        self.webhooks = WebhookSender(s, self.stats, self.background)
        #: what requests being answered hold, against --inflight-bytes
        self.inflight = Budget("inflight", s.inflight_bytes, "--inflight-bytes")
        self.stats.budgets[:] = [self.inflight, self.webhooks.budget, self.tasks.budget, self.scenarios.budget]

    def restart_clock(self) -> None:
        """Count `--ready-after` from the moment the server starts serving."""
        self.started = time.monotonic()

    def ready_in(self) -> float:
        """Seconds until /health answers 200 (0 when ready)."""
        return max(0.0, self.settings.ready_after - (time.monotonic() - self.started))

    async def reset(self) -> None:
        """Forget everything recorded or registered, and cancel pending work.

        The journal and the sink are cleared, not renumbered: every record they
        held counts as evicted, so a reader that started before the reset sees
        in `evicted_since` that it missed records."""
        await self.background.cancel_all()
        self.journal.clear()
        self.sink.clear()
        self.scenarios.clear()
        self.counters.clear()
        self.sink_counters.clear()
        self.tasks.clear()
