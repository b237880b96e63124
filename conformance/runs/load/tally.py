"""What one load process saw: every submission by its body hash, what became
of it, accept latencies, and errors by kind.

Each submission's body is unique (it carries a uuid), so its sha256 is its
name everywhere: in the tally, in the mock container's journal (which
records `body_sha256`), and in the echo document a result carries. Workers
ship their tally to the master as plain lists (`to_wire`) at the end of the
run; the master merges them and judges.
"""

from __future__ import annotations

import enum
import time
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["Fate", "Submission", "Tally", "merge", "MAX_EXAMPLES"]

#: Problem descriptions kept per tally (counts are always complete).
MAX_EXAMPLES = 20


class Fate(str, enum.Enum):
    """What the client learned about one submission."""

    IN_FLIGHT = "in-flight"  # sent, no answer yet; at the end: interrupted, not judged
    ACCEPTED = "accepted"  # accepted as its mode requires; its answer is not checked yet
    MATCHED = "matched"  # its answer / result is the container's answer to it
    CROSSED = "crossed"  # its answer / result is the container's answer to another submission
    LOST = "lost"  # accepted, but never reached Completed within T_done
    REFUSED = "refused"  # declined at once with 429 / 503: the client knows, nothing is owed
    FAILED = "failed"  # the gateway did not answer as the mode requires (see `detail`)


@dataclass
class Submission:
    mode: str
    sha: str
    sent_at: float  # unix time, for the T_done deadline
    outcome: Fate = Fate.IN_FLIGHT
    inference_id: str | None = None
    status_url: str | None = None
    result_url: str | None = None
    task_id: str | None = None
    #: The error kind (FAILED / LOST) or the sha256 the answer belonged to (CROSSED).
    detail: str | None = None
    accepted_at: float | None = None  # unix time of the 202, for the T_done deadline


_RECORD_FIELDS = [f.name for f in fields(Submission)]


#: Fields only the settling of a still-open submission needs.
_SETTLING_FIELDS = {"status_url", "result_url", "task_id"}


def _wire_row(record: Submission) -> list[Any]:
    """One record as a list; a decided record leaves out what only settling needs
    (a long run's tally is one message from worker to master)."""
    open_ = record.outcome in (Fate.ACCEPTED, Fate.IN_FLIGHT)
    row = []
    for name in _RECORD_FIELDS:
        value = getattr(record, name)
        if name in _SETTLING_FIELDS and not open_:
            value = None
        row.append(value.value if isinstance(value, Fate) else value)
    return row


@dataclass
class Tally:
    records: dict[str, Submission] = field(default_factory=dict)
    #: mode -> accept (or answer) latencies in seconds
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    #: Where this tally came from: load process (worker id, or "local") -> its submissions.
    sources: dict[str, int] = field(default_factory=dict)

    # -- recording ----------------------------------------------------------------

    def sent(self, mode: str, sha: str, at: float) -> Submission:
        record = Submission(mode, sha, at)
        self.records[sha] = record
        return record

    def latency(self, mode: str, seconds: float) -> None:
        self.latencies.setdefault(mode, []).append(seconds)

    def accepted(self, record: Submission, at: float, **fields: Any) -> None:
        record.outcome = Fate.ACCEPTED
        record.accepted_at = at
        for name, value in fields.items():
            setattr(record, name, value)

    def matched(self, record: Submission) -> None:
        record.outcome = Fate.MATCHED

    def crossed(self, record: Submission, other_sha: str | None, where: str) -> None:
        record.outcome = Fate.CROSSED
        record.detail = other_sha or "(no body_sha256)"
        self.errors[f"{where}: answer of another submission"] += 1
        self.example(f"{record.mode} {record.sha[:12]}: {where} carried the answer to {record.detail[:12]}")

    def failed(self, record: Submission, kind: str, detail: str = "") -> None:
        record.outcome = Fate.FAILED
        record.detail = kind
        self.error(kind, f"{record.mode} {record.sha[:12]}: {kind}{': ' + detail if detail else ''}")

    def refused(self, record: Submission, kind: str) -> None:
        record.outcome = Fate.REFUSED
        record.detail = kind
        self.errors[kind] += 1

    def lost(self, record: Submission, why: str) -> None:
        record.outcome = Fate.LOST
        record.detail = why
        self.error(f"lost: {why}", f"{record.mode} {record.sha[:12]} (Id {record.inference_id}): {why}")

    def error(self, kind: str, example: str | None = None) -> None:
        self.errors[kind] += 1
        if example:
            self.example(example)

    def example(self, text: str) -> None:
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(text)

    # -- reading ------------------------------------------------------------------

    def by_mode(self, mode: str) -> list[Submission]:
        return [r for r in self.records.values() if r.mode == mode]

    # -- shipping worker -> master ------------------------------------------------------

    def to_wire(self) -> dict[str, Any]:
        """Plain lists and dicts, small enough for Locust's msgpack messages."""
        return {
            "clock": time.time(),
            "records": [_wire_row(r) for r in self.records.values()],
            "latencies": self.latencies,
            "errors": dict(self.errors),
            "examples": self.examples,
            "sources": dict(self.sources),
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any], received_at: float | None = None) -> "Tally":
        """The tally a worker sent; with `received_at` (this machine's clock when it
        arrived) its timestamps are shifted onto this machine's clock, so T_done
        deadlines hold across machines whose clocks differ."""
        offset = (received_at - data["clock"]) if received_at is not None else 0.0
        tally = cls()
        for row in data["records"]:
            record = Submission(*row)
            record.outcome = Fate(record.outcome)
            record.sent_at += offset
            if record.accepted_at is not None:
                record.accepted_at += offset
            tally.records[record.sha] = record
        tally.latencies = {mode: list(values) for mode, values in data["latencies"].items()}
        tally.errors = Counter(data["errors"])
        tally.examples = list(data["examples"])
        tally.sources = dict(data["sources"])
        return tally


def merge(tallies: list[Tally]) -> Tally:
    """One tally for the whole run (bodies carry uuids, so shas never collide)."""
    total = Tally()
    for tally in tallies:
        for sha, record in tally.records.items():
            if sha in total.records:  # would mean two processes sent the same bytes
                total.error("tally: same body sent twice", f"{record.mode} {sha[:12]} recorded by two load processes")
            total.records[sha] = record
        for mode, values in tally.latencies.items():
            total.latencies.setdefault(mode, []).extend(values)
        total.errors.update(tally.errors)
        for text in tally.examples:
            total.example(text)
        # a process's own tally names one source: count what it holds now
        own = len(tally.sources) == 1
        total.sources.update({name: len(tally.records) for name in tally.sources} if own else tally.sources)
    return total
