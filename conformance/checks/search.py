"""Run a property with hypothesis, and turn what it finds into per-requirement failures.

Checks are coroutines on the engine's event loop; hypothesis is
synchronous. A property therefore searches on a worker thread
(`asyncio.to_thread`), and each example's requests run back on the loop
through a `Bridge`, with the suite's own clients: every exchange is
recorded in the check's transcript, tagged with the example it belongs to.

An example the gateway gets wrong raises a `Violation` naming the IDs it
fails. Violations of different IDs are different bugs to hypothesis (one
exception class per set of IDs, raised from one place), so each is shrunk
on its own and a SHOULD failure never hides a MUST one; the shrunk example
and its exchanges become the failure's reproduction.

Budgets (`Budget.from_config`): by default a fixed seed, no example
database and a small number of examples, so the same gateway gets the same
verdict every run; `--explore` searches ten times longer from a random seed
and keeps hypothesis's database of failing examples. Generation always runs
its examples; shrinking a failure stops at a time budget, reporting the
smallest example found by then.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import Flaky

from conformance.judge.config import SuiteConfig
from conformance.checks.instrument import InstrumentError
from conformance.http.recording import current_case
from conformance.judge.verdicts import Blocked, Failure, show

__all__ = [
    "Violation",
    "Budget",
    "Bridge",
    "SearchResult",
    "Search",
    "search",
    "report",
    "DEFAULT_EXAMPLES",
    "EXPLORE_FACTOR",
    "DEFAULT_DATABASE",
]

#: examples per property by default: the whole default run stays well under 20 s
DEFAULT_EXAMPLES = 30
#: --explore searches this many times longer
EXPLORE_FACTOR = 10
DEFAULT_DATABASE = ".hypothesis/conformance"
#: seconds a search may spend shrinking once it found a failure (default run, --explore)
DEFAULT_SHRINK_LIMIT = 6.0
EXPLORE_SHRINK_LIMIT = 60.0

E = TypeVar("E")


class Violation(Exception):
    """An example the gateway got wrong: the IDs it fails, why, and (once found) the example."""

    def __init__(self, rids: Iterable[str], reason: str, *, expected: Any = None, actual: Any = None) -> None:
        super().__init__(reason)
        self.rids = tuple(rids)
        self.reason = reason
        self.expected = None if expected is None else show(expected)
        self.actual = None if actual is None else show(actual)
        self.example = ""
        self.exchanges: list[int] = []
        self.notes: list[str] = []

    def copy_as(self, cls: type["Violation"]) -> "Violation":
        twin = cls(self.rids, self.reason)
        twin.expected, twin.actual, twin.example = self.expected, self.actual, self.example
        twin.exchanges, twin.notes = list(self.exchanges), list(self.notes)
        return twin

    def failure(self) -> Failure:
        """The ledger's form: the reason, with the shrunk example as the reproduction."""
        reason = f"{self.reason} (generated example: {self.example})" if self.example else self.reason
        for note in self.notes:
            reason += f"; {note}"
        return Failure(reason, expected=self.expected, actual=self.actual, exchanges=self.exchanges)


_KINDS: dict[tuple[str, ...], type[Violation]] = {}
_KINDS_LOCK = threading.Lock()


def _kind(rids: tuple[str, ...]) -> type[Violation]:
    """One exception class per set of IDs: hypothesis tells bugs apart by class and raising line."""
    with _KINDS_LOCK:
        if rids not in _KINDS:
            _KINDS[rids] = type(f"Violation[{','.join(rids)}]", (Violation,), {})
        return _KINDS[rids]


class _Stop(BaseException):
    """Ends a search at once (a BaseException, so hypothesis neither catches nor shrinks it)."""

    def __init__(self, why: str, cause: BaseException | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.cause = cause


class _OutOfTime(_Stop):
    pass


@dataclass(frozen=True)
class Budget:
    examples: int = DEFAULT_EXAMPLES
    #: None: a random seed (--explore without --seed)
    seed: int | None = 0
    database: Path | None = None
    #: seconds the search may go on once it has found a failure (shrinking it); generation always
    #: runs its examples, so whether a gateway fails never depends on the machine's speed
    shrink_limit: float = DEFAULT_SHRINK_LIMIT
    #: steps per run of a state machine
    steps: int = 10

    @classmethod
    def from_config(cls, config: SuiteConfig, share: float = 1.0) -> "Budget":
        """The run's budget; `share` scales the examples of a property that is dearer (or cheaper) per example."""
        explore = config.explore
        base = config.examples or DEFAULT_EXAMPLES
        examples = max(1, round(base * share * (EXPLORE_FACTOR if explore else 1)))
        seed = config.seed if config.seed is not None else (None if explore else 0)
        database = Path(config.hypothesis_db or DEFAULT_DATABASE) if explore else None
        limit = EXPLORE_SHRINK_LIMIT if explore else DEFAULT_SHRINK_LIMIT
        return cls(examples=examples, seed=seed, database=database, shrink_limit=limit)

    def describe(self) -> str:
        seed = f"seed {self.seed}" if self.seed is not None else "a random seed"
        where = f", example database {self.database}" if self.database else ""
        return f"{self.examples} examples, {seed}{where}"


class Bridge:
    """Runs coroutines on the engine's loop for code on another thread, until closed."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self.loop = loop
        self.timeout = timeout
        self._closed = threading.Event()
        self._pending: set[concurrent.futures.Future[Any]] = set()
        self._lock = threading.Lock()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def run(self, coroutine: Awaitable[E]) -> E:
        if self._closed.is_set():
            coroutine.close()  # type: ignore[attr-defined]
            raise _Stop("the check ended")
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)  # type: ignore[arg-type]
        with self._lock:
            self._pending.add(future)
        try:
            return future.result(self.timeout)
        except (concurrent.futures.CancelledError, concurrent.futures.TimeoutError):
            future.cancel()
            raise _Stop("the check ended" if self._closed.is_set() else f"an example took over {self.timeout:g} s") from None
        finally:
            with self._lock:
                self._pending.discard(future)

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            for future in self._pending:
                future.cancel()


@dataclass
class SearchResult:
    budget: Budget
    examples: int = 0
    #: the shrunk counterexamples, one per distinct set of failed IDs
    violations: list[Violation] = field(default_factory=list)
    #: how many examples judged each ID
    coverage: Counter[str] = field(default_factory=Counter)
    #: why the search ended before its budget, if it did
    stopped: str | None = None
    #: a precondition that failed (judged by another requirement): what was not decided is not judged
    blocked: str | None = None

    def summary(self) -> str:
        text = f"{self.examples} generated examples ({self.budget.describe()})"
        return text + (f"; {self.stopped}" if self.stopped else "")

    @classmethod
    def merged(cls, results: list["SearchResult"]) -> "SearchResult":
        """Several searches of one check as one: all their examples, failures and coverage."""
        merged = cls(results[0].budget)
        for result in results:
            merged.examples += result.examples
            merged.violations += [v for v in result.violations if v.rids not in {m.rids for m in merged.violations}]
            merged.coverage.update(result.coverage)
            merged.blocked = merged.blocked or result.blocked
            if result.stopped:
                merged.stopped = "; ".join(filter(None, [merged.stopped, result.stopped]))
        return merged


@dataclass
class _State:
    count: int = 0
    #: when the first failure was found (shrinking time counts from there)
    first_failure: float | None = None
    seen: dict[tuple[str, ...], Violation] = field(default_factory=dict)


class Search:
    """One property's search: its budget, its bridge to the loop, what it has seen so far.

    `example()` opens an example (a @given call or one run of a state
    machine), `call()` runs a coroutine of it on the loop, and `found()`
    turns a Violation into the exception hypothesis tracks.
    """

    def __init__(self, ctx: Any, name: str, budget: Budget) -> None:
        self.ctx = ctx
        self.name = name
        self.budget = budget
        self.bridge = Bridge(asyncio.get_running_loop(), timeout=ctx.config.check_timeout)
        self.result = SearchResult(budget)
        self.state = _State()

    def settings(self) -> settings:
        return settings(
            max_examples=self.budget.examples,
            database=DirectoryBasedExampleDatabase(self.budget.database) if self.budget.database else None,
            deadline=None,
            derandomize=False,
            phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),
            report_multiple_bugs=True,
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
            print_blob=False,
            stateful_step_count=self.budget.steps,
        )

    def seeded(self, test: Any) -> Any:
        """Apply the budget's seed, and name the test for the example database (our test functions are shared)."""
        if self.budget.seed is not None and self.budget.database is not None:
            # what @seed does, without its turning the example database off (--explore --seed keeps it)
            test._hypothesis_internal_use_seed = self.budget.seed
        elif self.budget.seed is not None:
            test = hypothesis.seed(self.budget.seed)(test)
        inner = getattr(getattr(test, "hypothesis", None), "inner_test", None)
        if inner is not None:
            inner._hypothesis_internal_add_digest = self.name.encode()
        return test

    def check_time(self) -> None:
        first = self.state.first_failure
        if first is not None and time.monotonic() - first > self.budget.shrink_limit:
            raise _OutOfTime(f"shrinking stopped at its {self.budget.shrink_limit:g} s budget")

    @contextlib.contextmanager
    def example(self) -> Iterator[str]:
        """Open one example: its label tags every exchange made inside it."""
        self.check_time()
        self.state.count += 1
        label = f"{self.name} #{self.state.count}"
        token = current_case.set(label)
        try:
            yield label
        finally:
            current_case.reset(token)

    def call(self, coroutine: Awaitable[E], rids: tuple[str, ...]) -> E:
        """Run one coroutine of the example on the loop. Violations pass through; the rest ends the search."""
        if self.bridge.closed:
            coroutine.close()  # type: ignore[attr-defined]
            raise _Stop("the check ended")
        try:
            return self.bridge.run(_judged(coroutine, rids))
        except Violation:
            raise
        except Blocked as blocked:  # a precondition another requirement judges: nothing more to search
            raise _Stop(blocked.reason, blocked) from None
        except InstrumentError as exc:
            raise _Stop("the mock container's control API failed", exc) from None
        except Exception as exc:  # a bug of the suite must show as one, not be shrunk as the gateway's
            raise _Stop("internal error", exc) from None

    def found(self, violation: Violation, example: str, label: str) -> Violation:
        """Record a violation of the example `label`; the returned copy is what to raise (outside any except)."""
        violation.example = example
        violation.exchanges = self.ctx.transcript.seqs(label)
        self.state.seen[violation.rids] = violation
        if self.state.first_failure is None:
            self.state.first_failure = time.monotonic()
        return violation.copy_as(_kind(violation.rids))

    async def run(self, test: Callable[[], None]) -> SearchResult:
        await _run(test, self.bridge, self.result, self.state)
        return self.result


async def search(
    ctx: Any,
    name: str,
    strategy: st.SearchStrategy[E],
    judge: Callable[[E], Awaitable[None]],
    *,
    ids_of: Callable[[E], Iterable[str]],
    describe: Callable[[E], str],
    budget: Budget,
) -> SearchResult:
    """Search `strategy` for an example on which `judge` raises a Violation.

    `ids_of(example)` names the IDs an example judges (for coverage), the
    first of them the one a Failure the judge did not turn into a Violation
    itself (a gateway that does not answer, say) fails.
    """
    run = Search(ctx, name, budget)

    def one_example(example: E) -> None:
        rids = tuple(ids_of(example))
        found: Violation | None = None
        with run.example() as label:
            try:
                run.call(judge(example), rids)
            except Violation as violation:
                found = run.found(violation, describe(example), label)
        if found is not None:
            # raised here, outside the except block, so no __context__ tells one ID's failures apart
            raise found
        run.result.coverage.update(rids)

    return await run.run(run.seeded(run.settings()(given(strategy)(one_example))))


def report(ctx: Any, result: SearchResult, ids: Iterable[str]) -> None:
    """Into the check's ledger: each violated ID fails with its shrunk example; IDs no example reached are
    skipped (they were not judged); the rest pass."""
    failed = set()
    for violation in result.violations:
        for rid in violation.rids:
            ctx.ledger.fail(rid, violation.failure())
            failed.add(rid)
    for rid in ids:
        if rid in failed:
            continue
        if result.blocked:
            ctx.ledger.skip(rid, result.blocked)
        elif not result.coverage[rid]:
            ctx.ledger.skip(rid, f"no generated example judged it ({result.summary()}); raise --examples")
        elif result.stopped:
            ctx.note(rid, f"property search {result.stopped} after {result.coverage[rid]} examples of it")


async def _judged(coroutine: Awaitable[E], rids: tuple[str, ...]) -> E:
    """Await the example's coroutine; a Failure it did not handle fails the example's first ID."""
    try:
        return await coroutine
    except (Violation, InstrumentError):
        raise
    except Failure as failure:
        raise Violation(rids[:1], failure.reason, expected=failure.expected, actual=failure.actual) from None


#: One search at a time. Hypothesis describes strategies (lambdas included) with `ast.parse`, and
#: CPython 3.11 before 3.11.9 raises "AST constructor recursion depth mismatch" when two threads
#: parse at once; the checks' requests still overlap with everything else the run does.
_ONE_SEARCH = threading.Lock()


def _alone(test: Callable[[], None], bridge: Bridge) -> None:
    with _ONE_SEARCH:
        if bridge.closed:
            raise _Stop("the check ended before its turn to search")
        test()


async def _run(test: Callable[[], None], bridge: Bridge, result: SearchResult, state: _State) -> None:
    """Run the hypothesis test on a worker thread and collect what it found into `result`."""
    try:
        await asyncio.to_thread(_alone, test, bridge)
    except _OutOfTime as out:
        result.stopped = out.why
        result.violations = list(state.seen.values())
        for violation in result.violations:
            violation.notes.append(f"{out.why}: the smallest example found by then")
    except _Stop as stop:
        if isinstance(stop.cause, InstrumentError):
            raise stop.cause from None
        if isinstance(stop.cause, Blocked):
            result.blocked = stop.cause.reason
            result.violations = list(state.seen.values())
            return
        if stop.cause is not None:
            raise stop.cause
        result.stopped = stop.why
        result.violations = list(state.seen.values())
    except BaseException as exc:  # noqa: BLE001 - sorted below
        violations, others = _flatten(exc)
        flaky = [e for e in others if isinstance(e, Flaky)] or [e for e in _groups(exc) if isinstance(e, Flaky)]
        others = [e for e in others if not isinstance(e, Flaky)]
        if others:
            raise others[0]
        if flaky:
            # replaying an example gave another answer: the gateway's state carries over from one
            # example to the next. What was seen stands; the smallest seen is the reproduction.
            violations = violations + list(state.seen.values())
            for violation in violations:
                violation.notes.append("the gateway answered differently when the example was replayed "
                                       "(its state carries over between requests)")
        result.violations = _one_per_ids(violations)
    finally:
        bridge.close()
        result.examples = state.count


def _groups(exc: BaseException) -> list[BaseException]:
    found = [exc]
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found += _groups(inner)
    return found


def _flatten(exc: BaseException) -> tuple[list[Violation], list[BaseException]]:
    """Violations in an exception (group), and anything else that is not one."""
    if isinstance(exc, Violation):
        return [exc], []
    if isinstance(exc, BaseExceptionGroup):
        violations, others = [], []
        for inner in exc.exceptions:
            v, o = _flatten(inner)
            violations += v
            others += o
        return violations, others
    if isinstance(exc, asyncio.CancelledError):
        raise exc
    return [], [exc]


def _one_per_ids(violations: list[Violation]) -> list[Violation]:
    out: dict[tuple[str, ...], Violation] = {}
    for violation in violations:
        out.setdefault(violation.rids, violation)
    return list(out.values())
