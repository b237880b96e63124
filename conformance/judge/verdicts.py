"""How a check says what it found, one requirement ID at a time.

A check covers one or more IDs. It judges each inside `ledger.judge(ID)`:
a `Failure` raised in that block fails that ID only and the check goes on,
so one failing ID never hides the verdict on another. A block that ends
normally passes its IDs (unless an earlier block failed them).

Outside any block:
- `Failure` ends the check and fails every ID not decided yet;
- `Blocked` ends it and skips them: a precondition the check needs (e.g. a
  202 with a StatusPath to follow) did not hold, which another requirement
  judges; the skip reason names it;
- `NotApplicable` skips them (e.g. no second deployment configured).

When a check returns, IDs still undecided pass. INFO IDs are recorded with
`observe`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from conformance.judge.model import FailureRecord, IdVerdict, Outcome

__all__ = ["Failure", "Blocked", "NotApplicable", "expect", "Ledger", "Step", "show"]


def show(value: Any, limit: int = 300) -> str:
    """A value as a report line shows it (long ones shortened and marked)."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + f"… [{len(text)} chars]"


class Failure(Exception):
    """The gateway did not do what a requirement asks."""

    def __init__(self, reason: str, *, expected: Any = None, actual: Any = None, exchanges: list[int] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.expected = None if expected is None else show(expected)
        self.actual = None if actual is None else show(actual)
        self.exchanges = exchanges


class Blocked(Exception):
    """A precondition failed, so the IDs at hand cannot be judged."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotApplicable(Exception):
    """The requirement does not apply to this run."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def expect(condition: Any, reason: str, *, expected: Any = None, actual: Any = None, exchanges: list[int] | None = None) -> None:
    """Raise `Failure(reason, ...)` unless `condition` holds."""
    if not condition:
        raise Failure(reason, expected=expected, actual=actual, exchanges=exchanges)


@dataclass
class Step:
    ok: bool = False


@dataclass
class Ledger:
    """The verdicts of one check, one per ID it covers."""

    ids: tuple[str, ...]
    #: (case) -> seq numbers of the exchanges of that case; set by the engine
    exchanges_of: Callable[[str | None], list[int]] = lambda case: []
    #: sets the current case label for exchange tagging; set by the engine
    enter_case: Callable[[str | None], Any] = lambda case: None
    leave_case: Callable[[Any], None] = lambda token: None
    _verdicts: dict[str, IdVerdict] = field(default_factory=dict)
    _notes: dict[str, list[str]] = field(default_factory=dict)
    _data: dict[str, dict[str, Any]] = field(default_factory=dict)

    def _own(self, rid: str) -> None:
        if rid not in self.ids:
            raise ValueError(f"this check does not cover {rid} (it covers {', '.join(self.ids)})")

    def decided(self, rid: str) -> bool:
        return rid in self._verdicts

    def outcome(self, rid: str) -> Outcome | None:
        verdict = self._verdicts.get(rid)
        return verdict.outcome if verdict else None

    def fail(self, rid: str, failure: Failure, case: str | None = None) -> None:
        self._own(rid)
        reason = f"[{case}] {failure.reason}" if case else failure.reason
        record = FailureRecord(
            reason=reason,
            expected=failure.expected,
            actual=failure.actual,
            case=case,
            exchanges=failure.exchanges if failure.exchanges is not None else self.exchanges_of(case),
        )
        verdict = self._verdicts.get(rid)
        if verdict is None or verdict.outcome is not Outcome.FAILED:
            verdict = self._verdicts[rid] = IdVerdict(rid, Outcome.FAILED, reason)
        verdict.failures.append(record)

    def pass_(self, rid: str) -> None:
        self._own(rid)
        self._verdicts.setdefault(rid, IdVerdict(rid, Outcome.PASSED))

    def skip(self, rid: str, reason: str) -> None:
        self._own(rid)
        current = self._verdicts.get(rid)
        if current is None or current.outcome is Outcome.PASSED:
            # a case that could not be judged means the ID was not judged whole:
            # a skip outranks a pass, a failure outranks both
            self._verdicts[rid] = IdVerdict(rid, Outcome.SKIPPED, reason)

    def observe(self, rid: str, summary: str, **data: Any) -> None:
        """Record what was seen for an INFO requirement."""
        self._own(rid)
        self._verdicts[rid] = IdVerdict(rid, Outcome.OBSERVED, summary, observed=summary, data=data)

    def note(self, rid: str, text: str, **data: Any) -> None:
        """Add a remark (e.g. which legal form the gateway used) to `rid`'s verdict."""
        self._own(rid)
        if text not in self._notes.setdefault(rid, []):
            self._notes[rid].append(text)
        self._data.setdefault(rid, {}).update(data)

    @contextlib.contextmanager
    def judge(self, *rids: str, case: str | None = None) -> Iterator[None]:
        """Judge `rids` in this block; `case` labels a sub-case in reasons and exchanges."""
        for rid in rids:
            self._own(rid)
        token = self.enter_case(case) if case is not None else None
        try:
            yield
        except Failure as failure:
            for rid in rids:
                self.fail(rid, failure, case)
        except Blocked as blocked:
            for rid in rids:
                self.skip(rid, f"[{case}] {blocked.reason}" if case else blocked.reason)
        else:
            for rid in rids:
                self.pass_(rid)
        finally:
            if token is not None:
                self.leave_case(token)

    @contextlib.contextmanager
    def step(self, *rids: str, case: str | None = None) -> Iterator["Step"]:
        """A precondition for judging `rids`: like `judge`, but passes nothing when it succeeds.

        After the block, `step.ok` tells whether the judging may go on.
        """
        for rid in rids:
            self._own(rid)
        outcome = Step()
        token = self.enter_case(case) if case is not None else None
        try:
            yield outcome
        except Failure as failure:
            for rid in rids:
                self.fail(rid, failure, case)
        except Blocked as blocked:
            for rid in rids:
                self.skip(rid, f"[{case}] {blocked.reason}" if case else blocked.reason)
        else:
            outcome.ok = True
        finally:
            if token is not None:
                self.leave_case(token)

    def close(self, *, failure: Failure | None = None, skip: str | None = None) -> list[IdVerdict]:
        """Decide every undecided ID (failed, skipped or passed) and return all verdicts in ID order."""
        for rid in self.ids:
            if rid in self._verdicts:
                continue
            if failure is not None:
                self.fail(rid, failure)
            elif skip is not None:
                self._verdicts[rid] = IdVerdict(rid, Outcome.SKIPPED, skip)
            else:
                self.pass_(rid)
        verdicts = []
        for rid in self.ids:
            verdict = self._verdicts[rid]
            verdict.notes = list(self._notes.get(rid, []))
            verdict.data.update(self._data.get(rid, {}))
            verdicts.append(verdict)
        return verdicts
