"""Runs the selected checks concurrently on one asyncio loop in a background thread.

The pytest plugin keeps one test item per check; each item waits for its
own check's record here. Latency-judging "exclusive" checks run first, one
at a time, with nothing else in flight; then the checks of the "main"
phase: the "timed" ones send their latency-judged request first, and as
soon as those are out every other check starts (bounded by a semaphore). Every wait is bounded: a check that overruns its
budget is cancelled and recorded as a timeout.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import secrets
import threading
import traceback
from collections.abc import Callable

from conformance.checks import Check
from conformance.checks.client import GatewayClient
from conformance.checks.context import CheckContext, Signals
from conformance.checks.flows import record_container_side
from conformance.checks.instrument import InstrumentError, MockControl, annotate_mock_entries
from conformance.http.origins import OriginPolicy
from conformance.http.recording import Recorder, Transcript, current_case, recording_client
from conformance.http.wire import WireTransport
from conformance.judge.config import SuiteConfig
from conformance.judge.model import CheckRecord
from conformance.judge.verdicts import Blocked, Failure, Ledger, NotApplicable
from mock_container.client import AsyncMockClient

__all__ = ["Engine", "run_check", "ContextFactory", "gateway_context"]

#: heavy checks (N-request bursts, 16 MiB bodies) running at once
HEAVY_LANES = 2


def gateway_context(
    check: Check,
    *,
    config: SuiteConfig,
    run_id: str,
    recorder: Recorder,
    transcript: Transcript,
    ledger: Ledger,
    target_wire: WireTransport,
    instrument_wire: WireTransport,
    signals: Signals,
) -> CheckContext:
    """What a gateway check holds: the gateway (and a second deployment), the mock container's control API."""

    # the run's headers go to the deployments' origins only; other origins need the user's allowance
    policy = OriginPolicy.of([config.gateway, config.other_gateway], config.allow_origins)

    def gateway(base: str, target: str) -> GatewayClient:
        http = recording_client(target_wire, transcript, target, timeout=config.request_timeout)
        return GatewayClient(http, base=base, extra_headers=config.headers, timeout=config.request_timeout, target=target,
                             policy=policy)

    longest_wait = config.t_done + config.request_timeout
    mock_http = recording_client(instrument_wire, transcript, "mock", timeout=longest_wait,
                                 annotate=annotate_mock_entries)
    signals.instances.watch(config.mock_instance, config.through_gateway, config.container_url)
    # through the gateway, the control API is one more deployment route: the run's headers, its long-poll cap
    mock = MockControl(AsyncMockClient(mock_http, config.container_url, headers=dict(config.mock_headers)),
                       journal_since=config.journal_since, sink_since=config.sink_since,
                       sink=config.mock_sink if config.through_gateway else None, long_poll=config.long_poll,
                       instances=signals.instances)
    return CheckContext(
        name=check.name,
        config=config,
        run_id=run_id,
        recorder=recorder,
        transcript=transcript,
        ledger=ledger,
        gateway=gateway(config.gateway, "gateway"),
        mock=mock,
        other=gateway(config.other_gateway, "other-gateway") if config.other_gateway else None,
        signals=signals,
        timed=check.timed,
    )


#: builds a check's context from the run's pieces (same keywords as `gateway_context`); the
#: container run passes its own (conformance.checks.container_context), the gateway run uses the default
ContextFactory = Callable[..., CheckContext]


async def run_check(
    check: Check,
    *,
    config: SuiteConfig,
    recorder: Recorder,
    target_wire: WireTransport,
    instrument_wire: WireTransport,
    signals: Signals,
    run_id: str,
    make_context: ContextFactory = gateway_context,
) -> CheckRecord:
    """Run one check to its record: per-ID verdicts plus every exchange it made."""
    transcript = Transcript(check.name, recorder)
    ledger = Ledger(check.ids, exchanges_of=transcript.seqs, enter_case=current_case.set, leave_case=current_case.reset)
    ctx = make_context(check, config=config, run_id=run_id, recorder=recorder, transcript=transcript, ledger=ledger,
                       target_wire=target_wire, instrument_wire=instrument_wire, signals=signals)
    record = CheckRecord(check.name, check.module, list(check.ids), check.summary, "completed", started=recorder.clock())
    try:
        async with asyncio.timeout(config.check_timeout):
            await check.func(ctx)
        verdicts = ledger.close()
    except Failure as failure:
        verdicts = ledger.close(failure=failure)
    except (Blocked, NotApplicable) as skip:
        verdicts = ledger.close(skip=skip.reason)
    except TimeoutError:
        record.status = "timeout"
        verdicts = ledger.close(failure=Failure(
            f"the check did not finish within its {config.check_timeout:g} s budget",
            expected="every request answered in time", actual="still waiting"))
    except InstrumentError as exc:
        # the suite's own view failed: never the gateway's fault, never a pass; the run cannot judge (exit 2)
        record.status, record.error = "instrument-error", str(exc)
        verdicts = ledger.close(skip=f"not judged: the suite could not observe the container: {exc}")
    except Exception as exc:  # a bug in a check must show, never pass
        record.status, record.error = "error", traceback.format_exc()
        verdicts = ledger.close(failure=Failure(f"not judged, internal error in check {check.name}: {type(exc).__name__}: {exc}"))
    finally:
        ctx.timed_request_sent()  # a timed check that ended early must not hold the others back
    record.duration = recorder.clock() - record.started
    await record_container_side(ctx)
    record.verdicts = verdicts
    record.exchanges = transcript.exchanges
    return record


class Engine:
    """The selected checks running in the background while pytest walks its items."""

    def __init__(
        self,
        config: SuiteConfig,
        checks: list[Check],
        *,
        on_finish: Callable[[CheckRecord], None] | None = None,
        make_context: ContextFactory | None = None,
    ) -> None:
        self.config = config
        self.checks = checks
        self.on_finish = on_finish
        self.make_context = make_context or gateway_context
        self.run_id = secrets.token_hex(3)
        self.recorder = Recorder(redact=[name for name, _ in config.headers])
        self._futures = {check.name: concurrent.futures.Future() for check in checks}
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main_task: asyncio.Task | None = None
        #: run-wide, read after the run: which mock instances answered (set up by the gateway checks' context)
        self.signals = Signals()

    # -- the calling thread's side -------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._thread_main, name="conformance-engine", daemon=True)
        self._thread.start()

    def result(self, name: str, timeout: float) -> CheckRecord:
        """The record of check `name`; TimeoutError when the engine did not deliver it in time."""
        return self._futures[name].result(timeout=timeout)

    def wait_budget(self) -> float:
        """How long anyone should wait for one check, queueing and the exclusive phase included."""
        exclusive = sum(1 for c in self.checks if c.phase == "exclusive")
        return self.config.check_timeout * (2 + exclusive) + 30.0

    def stop(self, timeout: float = 10.0) -> None:
        """Cancel whatever still runs and wait for the loop thread to end."""
        loop, task = self._loop, self._main_task
        if loop is not None and task is not None and not task.done():
            loop.call_soon_threadsafe(task.cancel)
        if self._thread is not None:
            self._thread.join(timeout)
        for future in self._futures.values():
            if not future.done():
                future.cancel()

    def records(self) -> list[CheckRecord]:
        return [f.result() for f in self._futures.values() if f.done() and not f.cancelled() and f.exception() is None]

    # -- the loop thread's side -----------------------------------------------------
    def _thread_main(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # surfaces through every undelivered future
            for future in self._futures.values():
                if not future.done():
                    future.set_exception(RuntimeError(f"the conformance engine stopped: {exc!r}"))

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._main_task = asyncio.current_task()
        signals = self.signals
        main = sorted((c for c in self.checks if c.phase == "main"), key=lambda c: (not c.timed, c.heavy))
        signals.timed_pending = sum(1 for c in main if c.timed)
        if signals.timed_pending == 0:
            signals.timed_sent.set()
        exclusive = [c for c in self.checks if c.phase == "exclusive"]
        semaphore = asyncio.Semaphore(max(self.config.parallel, 1))
        heavy_lanes = asyncio.Semaphore(HEAVY_LANES)
        # two pools, so a long poll on the mock never holds a connection the gateway checks need
        async with WireTransport() as target_wire, WireTransport(resend=True) as instrument_wire:
            kwargs = dict(config=self.config, recorder=self.recorder, target_wire=target_wire,
                          instrument_wire=instrument_wire, signals=signals, run_id=self.run_id,
                          make_context=self.make_context)

            async def one(check: Check) -> None:
                if check.phase == "main" and not check.timed:
                    await self._quiet_window(signals)
                async with contextlib.AsyncExitStack() as lanes:
                    if check.heavy:
                        await lanes.enter_async_context(heavy_lanes)
                    async with semaphore:
                        record = await run_check(check, **kwargs)
                self._deliver(check, record)

            # latency-judging checks run alone, first: their container calls (D each) then
            # finish while the main phase runs, instead of outliving the run
            for check in exclusive:
                await one(check)
            await asyncio.gather(*(one(c) for c in main))

    async def _quiet_window(self, signals: Signals) -> None:
        """Hold a check back until the latency-judged requests are out (bounded).

        Those requests (GW-ASYNC-05, GW-PROXY-02) then meet an idle gateway:
        a 2-core machine answering sixty other first requests at the same
        moment would measure the machine, not the gateway.
        """
        try:
            await asyncio.wait_for(signals.timed_sent.wait(), timeout=self.config.t_accept + self.config.request_timeout)
        except asyncio.TimeoutError:
            pass  # a timed check that hangs is judged on its own; the others go on

    def _deliver(self, check: Check, record: CheckRecord) -> None:
        self._futures[check.name].set_result(record)
        if self.on_finish is not None:
            try:
                self.on_finish(record)
            except Exception:  # a progress display must never break a run
                pass
