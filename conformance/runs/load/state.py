"""The per-process state of a load run, kept on Locust's Environment.

One load process (local, master or worker) has one `RunState`: the settings
it runs with and the tally its users write. The master also keeps what its
workers sent and what it saw in the mock container's journal.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from conformance.runs.load.tally import Tally
from conformance.runs.load.settings import LoadSettings

__all__ = ["Role", "RunState", "run_state"]

_ATTRIBUTE = "conformance_load"


class Role(str, enum.Enum):
    LOCAL = "local"  # one process: users and judgement
    MASTER = "master"  # no users; collects worker tallies and judges
    WORKER = "worker"  # users only; sends its tally to the master


@dataclass
class RunState:
    role: Role
    settings: LoadSettings | None = None
    tally: Tally = field(default_factory=Tally)
    #: master: worker id -> the tally it sent at the end
    worker_tallies: dict[str, Tally] = field(default_factory=dict)
    #: master: workers the run had when it stopped (their tallies are awaited)
    expected_workers: set[str] = field(default_factory=set)
    #: worker: the wire form already sent (sent again if the master asks again)
    sent_wire: dict[str, Any] | None = None
    started_at: float | None = None
    stopped_at: float | None = None
    #: master / local, see hooks.py: HTTP client for the instrument and the settling,
    #: the journal tail, the CPU monitor and the greenlet polling both
    client: Any = None
    tail: Any = None
    monitor: Any = None
    poller: Any = None
    instrument_errors: list[str] = field(default_factory=list)
    #: why the run cannot be judged (set before any load when a target is unreachable)
    abort: str | None = None
    judged: bool = False
    summary: str | None = None


def run_state(environment: Any) -> RunState:
    """The RunState of this process (hooks.on_init creates it)."""
    state = getattr(environment, _ATTRIBUTE, None)
    if state is None:
        raise RuntimeError("conformance load state missing: load the user class through conformance/runs/load/locustfile.py")
    return state


def attach(environment: Any, state: RunState) -> RunState:
    setattr(environment, _ATTRIBUTE, state)
    return state
