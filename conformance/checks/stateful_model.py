"""A stateful model of a gateway: any sequence of submissions and reads keeps the contract's promises.

Rules submit respond-async and respond-async-proxy requests (bodies from a
small set, so equal bodies recur), read statuses and results of known Ids
in any order, wait for completion, and read Ids the gateway never issued.
After every step:

- every accepted Id is new (GW-ASYNC-06);
- a status answer is a valid status (GW-STATUS-01) and never goes back from
  what that Id showed before, in one encoding (GW-STATUS-02); waiting ends
  in Completed within T_done (GW-STATUS-03);
- a result, read once its status says Completed, is the container's echo
  of its own submission, by its correlation (GW-RESULT-05); the echo's body
  sha256 is that submission's, or the container got it changed, judged by
  the one "unchanged" rule on the journal (GW-ASYNC-07); and reading again
  gives the same answer (GW-RESULT-03);
- unknown Ids get 404 from both routes (GW-STATUS-04, GW-RESULT-06);

and when a run ends, each fire-and-forget submission reached the container
once, with `Prefer: respond-async`, unchanged by the one rule of
`conformance.judge.unchanged` (GW-PROXY-03).

The model is a check module of its own, not part of one section's module:
one sequence of requests judges the respond-async accept, the status and
result routes and fire-and-forget delivery together (what a client sees
over a session), so no section owns it; `MODULES` puts it after the
sections it spans.

The container answers with its echo after a delay of 0 or 0.1 s: not to
judge timing, but so that some status reads meet a request still in flight.
Results are read only after Completed, so a run's verdict never depends on
how fast the gateway was (hypothesis replays runs while it shrinks them).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from conformance.checks import check
from conformance.checks.context import CheckContext
from conformance.checks.flows import (
    Accepted,
    Sent,
    StatusReading,
    accepted,
    arrivals,
    duplicates_after,
    get_result,
    get_status,
    prefer_names,
    request_mismatches,
    send,
    trail,
)
from conformance.checks.search import Budget, Search, Violation, report
from conformance.judge.verdicts import Blocked, show

__all__ = ["GatewayModel", "MODEL_IDS", "BODIES", "ProxySubmission", "model_factory", "stateful_model"]

MODEL_IDS = ("GW-ASYNC-06", "GW-ASYNC-07", "GW-STATUS-01", "GW-STATUS-02", "GW-STATUS-03", "GW-STATUS-04",
             "GW-RESULT-03", "GW-RESULT-05", "GW-RESULT-06", "GW-PROXY-03")
#: few, so that two submissions often carry the same body
BODIES = (b"", b'{"prompt": "a"}', b'{"prompt": "b"}', b"\x00\xffbinary\x80")
DELAYS = (0, 0.1)
POLL = 0.02
#: how long after its arrival a fire-and-forget request is watched for a second delivery
DUPLICATE_WATCH = 0.05

T = TypeVar("T")


@dataclass
class Submission:
    """A respond-async submission the model knows, and what it has seen of it."""

    acc: Accepted
    body: bytes
    correlation: str
    rank: int = -1
    encoding: str | None = None
    result: tuple[int, bytes] | None = None  # the first 2xx result read

    @property
    def id(self) -> str:
        return self.acc.id

    def __repr__(self) -> str:  # how hypothesis prints the bundle value in a failing program
        return f"<{self.id}>"


@dataclass
class ProxySubmission:
    sent: Sent

    @property
    def correlation(self) -> str:
        return self.sent.correlation

    @property
    def body(self) -> bytes:
        return self.sent.body


@dataclass
class _Run:
    steps: list[str] = field(default_factory=list)
    proxies: list[ProxySubmission] = field(default_factory=list)
    failed: bool = False


class GatewayModel(RuleBasedStateMachine):
    """One run: a fresh model of what this sequence of requests has shown."""

    submissions = Bundle("submissions")

    def __init__(self, search: Search, ctx: CheckContext) -> None:
        super().__init__()
        self.search = search
        self.ctx = ctx
        self.run = _Run()
        self.ids: set[str] = set()
        self.known: list[Accepted] = []
        self._example = search.example()
        self.label = self._example.__enter__()

    # ------------------------------------------------------------- plumbing

    def _do(self, coroutine: Awaitable[T], rids: tuple[str, ...], step: str) -> T:
        self.run.steps.append(step)
        found: Violation | None = None
        try:
            value = self.search.call(coroutine, rids)
            self.search.result.coverage.update(rids)
            return value
        except Violation as violation:
            self.run.failed = True
            found = self.search.found(violation, self.program(), self.label)
        except BaseException:  # the search is ending (blocked, out of time, the check ended): judge no more
            self.run.failed = True
            raise
        raise found  # outside the except block: one origin per set of IDs

    def program(self) -> str:
        return " -> ".join(self.run.steps)

    # ---------------------------------------------------------------- rules

    @rule(target=submissions, body=st.sampled_from(BODIES), delay=st.sampled_from(DELAYS))
    def submit_async(self, body: bytes, delay: float) -> Submission:
        return self._do(self._submit(body, delay), ("GW-ASYNC-06",), f"submit respond-async {body!r} (delay {delay:g})")

    async def _submit(self, body: bytes, delay: float) -> Submission:
        correlation = self.ctx.correlation("model")
        sent = await send(self.ctx, "POST", "/v1/model", correlation=correlation, prefer_values="respond-async",
                          body=body, content_type="application/octet-stream", mock={"delay": delay},
                          purpose="model: respond-async submission")
        acc = accepted(self.ctx, sent)  # Blocked when not accepted (GW-ASYNC-01/02 judge that): the model stops
        if acc.id in self.ids:
            raise Violation(("GW-ASYNC-06",), f"the gateway issued Id {acc.id!r} a second time",
                            expected="a new Id", actual=acc.id)
        self.ids.add(acc.id)
        self.known.append(acc)
        self.run.steps[-1] += f" = {acc.id}"
        return Submission(acc, body, correlation)

    @rule(body=st.sampled_from(BODIES))
    def submit_proxy(self, body: bytes) -> None:
        self._do(self._submit_proxy(body), ("GW-PROXY-03",), f"submit respond-async-proxy {body!r}")

    async def _submit_proxy(self, body: bytes) -> None:
        correlation = self.ctx.correlation("model-proxy")
        sent = await send(self.ctx, "POST", "/v1/model", correlation=correlation, prefer_values="respond-async-proxy",
                          body=body, content_type="application/octet-stream", purpose="model: fire-and-forget submission")
        if sent.status != 202:
            raise Blocked(f"a fire-and-forget submission was answered {sent.status}, not 202 (judged by GW-PROXY-01)")
        self.run.proxies.append(ProxySubmission(sent))

    @rule(sub=submissions)
    def read_status(self, sub: Submission) -> None:
        self._do(self._read_status(sub), ("GW-STATUS-01", "GW-STATUS-02"), f"status of {sub.id}")

    async def _read_status(self, sub: Submission) -> StatusReading:
        reading = await get_status(self.ctx, sub.acc)
        self._judge_status(sub, reading)
        return reading

    def _judge_status(self, sub: Submission, reading: StatusReading) -> None:
        if reading.problem:
            raise Violation(("GW-STATUS-01",), f"the status of {sub.id} is invalid: {reading.problem}",
                            expected="200 with a valid Status", actual=reading.problem)
        if reading.rank < sub.rank or (sub.encoding and reading.encoding != sub.encoding):
            raise Violation(("GW-STATUS-02",), f"the status of {sub.id} went from rank {sub.rank} ({sub.encoding}) "
                            f"to {reading.value!r}", expected="never backwards, one encoding", actual=reading.value)
        sub.rank, sub.encoding = reading.rank, reading.encoding

    @rule(sub=submissions)
    def await_completion(self, sub: Submission) -> None:
        self._do(self._await(sub), ("GW-STATUS-01", "GW-STATUS-02", "GW-STATUS-03"), f"wait until {sub.id} is Completed")

    async def _await(self, sub: Submission) -> None:
        until = sub.acc.accepted_at + self.ctx.config.t_done
        readings = []
        while True:
            reading = await get_status(self.ctx, sub.acc)
            readings.append(reading)
            self._judge_status(sub, reading)  # a status that went back is that, not a late completion
            if reading.completed:
                return
            if self.ctx.clock() >= until:
                raise Violation(("GW-STATUS-03",), f"{sub.id} was not Completed within T_done", expected="Completed",
                                actual=trail(readings))
            await asyncio.sleep(POLL)

    @rule(sub=submissions)
    def read_result(self, sub: Submission) -> None:
        self._do(self._read_result(sub), ("GW-RESULT-03", "GW-RESULT-05", "GW-ASYNC-07"), f"result of {sub.id} once Completed")

    async def _read_result(self, sub: Submission) -> None:
        # read once Completed, so that what a run shows does not depend on how fast the gateway was;
        # a result read before is known Completed, and reading it again must not depend on the status route
        if sub.result is None:
            await self._await(sub)
        response = await get_result(self.ctx, sub.acc)
        if sub.result is not None and sub.result != (response.status_code, response.content):
            # read before and 2xx then: whatever it is now, reading changed it
            raise Violation(("GW-RESULT-03",), f"reading the result of {sub.id} again gave another answer",
                            expected=f"{sub.result[0]} {show(sub.result[1], 80)}",
                            actual=f"{response.status_code} {show(response.content, 80)}")
        if not 200 <= response.status_code < 300:
            raise Violation(("GW-RESULT-05",), f"the result of {sub.id}, Completed, answered {response.status_code}",
                            expected="its container answer", actual=f"{response.status_code} {show(response.text, 120)}")
        try:
            echo = json.loads(response.content)
        except ValueError:
            echo = None
        owner = echo.get("correlation") if isinstance(echo, dict) else None
        if owner != sub.correlation:
            raise Violation(("GW-RESULT-05",), f"the result of {sub.id} is not the answer to its own submission"
                            + (f" but to {owner}" if owner else ""),
                            expected=f"the container's echo of {sub.correlation}", actual=show(response.text, 200))
        if echo.get("body_sha256") != hashlib.sha256(sub.body).hexdigest():
            # its own answer, to a body the container got changed: what reached the container is GW-ASYNC-07's
            entries = await arrivals(self.ctx, sub.correlation, 1, self.ctx.config.request_timeout)
            problems = request_mismatches(entries[0], sub.acc.sent) if entries else ["it is not in the journal"]
            raise Violation(("GW-ASYNC-07",), f"the container got the submission of {sub.id} changed: "
                            + "; ".join(problems or ["its echo names another body"]),
                            expected="the submission as sent", actual=entries[0].describe() if entries else "none")
        sub.result = (response.status_code, response.content)

    @precondition(lambda self: bool(self.known))  # the routes are learnt from an accept document
    @rule()
    def read_unknown(self) -> None:
        unknown = str(uuid.uuid4())
        self._do(self._read_unknown(unknown), ("GW-STATUS-04", "GW-RESULT-06"), f"status and result of unknown {unknown}")

    async def _read_unknown(self, unknown: str) -> None:
        known = self.known[0]
        for route, rid, url in (("status", "GW-STATUS-04", known.status_url), ("result", "GW-RESULT-06", known.result_url)):
            response = await self.ctx.gateway.request("GET", url, headers=[("X-Inference-Id", unknown)],
                                                      purpose=f"model: {route} of an unknown Id")
            if response.status_code != 404:
                raise Violation((rid,), f"the {route} of an Id the gateway never issued answered {response.status_code}",
                                expected=404, actual=f"{response.status_code} {show(response.text, 120)}")

    # -------------------------------------------------------------- the end

    def teardown(self) -> None:
        try:
            if self.run.proxies and not self.run.failed:
                self._do(self._delivered(), ("GW-PROXY-03",), "end of run: fire-and-forget deliveries")
        finally:
            self._example.__exit__(None, None, None)

    async def _delivered(self) -> None:
        results = await self.ctx.all(*(self._one_delivery(p) for p in self.run.proxies))
        problems = [problem for problem in results if problem]
        if problems:
            raise Violation(("GW-PROXY-03",), "; ".join(problems),
                            expected="each fire-and-forget request at the container once, with Prefer: respond-async")

    async def _one_delivery(self, proxy: ProxySubmission) -> str | None:
        first = await arrivals(self.ctx, proxy.correlation, 1, self.ctx.config.t_done)
        if not first:
            return f"{proxy.correlation} ({proxy.body!r}) never reached the container"
        entry = first[0]
        names = prefer_names(entry)
        if "respond-async" not in names or "respond-async-proxy" in names:
            return f"{proxy.correlation} reached the container with Prefer {entry.header_values('prefer')!r}"
        problems = request_mismatches(entry, proxy.sent)
        if problems:
            return f"{proxy.correlation} reached the container changed: {'; '.join(problems)}"
        twice = await arrivals(self.ctx, proxy.correlation, 2, DUPLICATE_WATCH)
        if len(twice) > 1:
            return f"{proxy.correlation} ({proxy.body!r}) reached the container {len(twice)} times"
        return None


def model_factory(search: Search, ctx: CheckContext, sink: list[GatewayModel]) -> Any:
    """A state machine factory for `run_state_machine_as_test`; `sink` collects every run (for the final sweep)."""

    def make() -> GatewayModel:
        machine = GatewayModel(search, ctx)
        sink.append(machine)
        return machine

    return make


#: one run of the model sends about `steps` requests, so it gets fewer runs than a property gets examples
MODEL_SHARE = 0.3
MODEL_STEPS = 12


async def sweep_duplicates(ctx: CheckContext, machines: list[GatewayModel]) -> Violation | None:
    """After the search: a fire-and-forget request delivered twice, in any run, once the settle time has passed.

    Each run watched its own requests for a moment; this catches a second
    delivery that came later. The reproduction is that run's sequence.
    """
    runs = [(machine, proxy) for machine in machines for proxy in machine.run.proxies]
    if not runs:
        return None
    last = runs[-1][1]
    extra = await duplicates_after(ctx, last.correlation, 1)
    for machine, proxy in runs:
        count = 1 + len(extra) if proxy is last else len(await ctx.mock.journal(proxy.correlation))
        if count > 1:
            violation = Violation(("GW-PROXY-03",), f"{proxy.correlation} ({proxy.body!r}) reached the container {count} times",
                                  expected="exactly once", actual=f"{count} times")
            violation.example = machine.program()
            violation.exchanges = ctx.transcript.seqs(machine.label)
            return violation
    return None


@check(*MODEL_IDS)
async def stateful_model(ctx: CheckContext) -> None:
    """Runs a hypothesis state machine: respond-async and fire-and-forget submissions (bodies from a small set,
    so they repeat), status and result reads of known Ids in any order, waits for completion, unknown Ids.

    Expects Ids never reused (ASYNC-06), valid statuses (STATUS-01) that
    never go back (STATUS-02) and reach Completed (STATUS-03), every 2xx
    result the echo of its own submission (RESULT-05) of a body that reached
    the container unchanged (ASYNC-07) and the same when read again
    (RESULT-03), 404 for unknown Ids (STATUS-04, RESULT-06), and each
    fire-and-forget request delivered once with Prefer: respond-async (PROXY-03).
    """
    budget = dataclasses.replace(Budget.from_config(ctx.config, share=MODEL_SHARE), steps=MODEL_STEPS)
    run = Search(ctx, "stateful_model", budget)
    machines: list[GatewayModel] = []
    factory = run.seeded(model_factory(run, ctx, machines))
    result = await run.run(lambda: run_state_machine_as_test(factory, settings=run.settings()))
    if not any("GW-PROXY-03" in v.rids for v in result.violations):
        late = await sweep_duplicates(ctx, machines)
        if late is not None:
            result.violations.append(late)
    report(ctx, result, MODEL_IDS)
