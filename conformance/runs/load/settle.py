"""Finish what was still in flight when the load stopped, before anything is judged.

Runs once, on the process that judges (local or master), after every tally
is in. Each wait is bounded by the contract's own deadline for it: an
accepted respond-async Id has until accept + T_done to reach Completed, a
fire-and-forget submission until accept + T_done to reach the container.
Waiting is event-driven where the instrument allows it (the mock's journal
and sink long-polls); the gateway's status route can only be polled, with a
short backoff.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from conformance.http.origins import OriginPolicy
from conformance.runs.load.answers import judge_answer
from conformance.runs.load.follow import POLL_FIRST, Get, pause, follow_async
from conformance.runs.load.journal import JournalError, JournalTail, fetch_task, webhook_counts
from conformance.runs.load.tally import Tally, Fate, Submission
from conformance.runs.load.settings import LoadSettings

__all__ = ["Settled", "settle", "settle_async", "settle_container_tasks", "await_deliveries", "EXPECT_DELIVERY"]

#: Outcomes after which the container must have received the submission exactly once.
EXPECT_DELIVERY = (Fate.ACCEPTED, Fate.MATCHED, Fate.CROSSED)

PARALLEL = 16


@dataclass
class Settled:
    """What the instrument counted, beside the tally."""

    webhooks: dict[str, int]
    webhooks_unnamed: int
    tasks_forgotten: int  # container tasks the mock no longer knew (not judged)
    seconds: float


def _httpx_get(client: httpx.Client, extra: tuple[tuple[str, str], ...], policy: OriginPolicy) -> Get:
    def get(url: str, headers: dict[str, str], name: str) -> tuple[int, bytes, str | None]:
        if not policy.may_follow(url):
            return 0, b"", "ForeignOrigin"  # the users refuse these before accepting; nothing goes out
        own = dict(extra) if policy.is_own(url) else {}  # the run's headers go to the gateway's origin only
        try:
            response = client.get(url, headers={**own, **headers, "Accept-Encoding": "identity"})
        except httpx.HTTPError as exc:
            return 0, b"", type(exc).__name__
        return response.status_code, response.content, None
    return get


def settle_async(tally: Tally, settings: LoadSettings, client: httpx.Client, gateway: str = "") -> None:
    """Every accepted respond-async Id the end of the load cut off ends matched, crossed, failed or lost."""
    records = [r for r in tally.records.values() if r.mode == "async" and r.outcome == Fate.ACCEPTED]
    get = _httpx_get(client, settings.headers, OriginPolicy.of([gateway], settings.allow_origins))
    with ThreadPoolExecutor(PARALLEL) as pool:
        list(pool.map(lambda r: follow_async(r, tally, settings, get), records))


def _settle_one_task(record: Submission, tally: Tally, settings: LoadSettings, tail: JournalTail) -> bool:
    """Cross-check a relayed task id with the mock: its task must be this submission's.
    Returns False when the mock had forgotten the task (nothing judged)."""
    deadline = (record.accepted_at or record.sent_at) + settings.done_bound
    interval = POLL_FIRST
    while True:
        try:
            answer = fetch_task(tail.readers, record.task_id or "")
        except JournalError as exc:
            tally.error("container task: the mock's control API did not answer", str(exc))
            status, content = 0, b""
        else:
            if answer is None:
                return False
            status, content = answer.status, answer.body
        if status != 202 and status != 0:
            # the task's result is the echo of the request the container got for this task id
            judge_answer(tally, record, 200 if 200 <= status < 300 else status, content, "container task")
            return True
        if time.time() >= deadline:
            tally.error("container task: still pending at T_done")
            return True
        interval = pause(interval, deadline)


def settle_container_tasks(tally: Tally, settings: LoadSettings, tail: JournalTail) -> int:
    records = [r for r in tally.records.values() if r.mode == "container" and r.outcome == Fate.ACCEPTED]
    with ThreadPoolExecutor(PARALLEL) as pool:
        known = list(pool.map(lambda r: _settle_one_task(r, tally, settings, tail), records))
    return known.count(False)


def await_deliveries(tally: Tally, tail: JournalTail, settings: LoadSettings) -> None:
    """Read the journals until every submission owed to the container is there or its
    deadline passed, then once more after `grace` for late duplicates."""
    expected = {sha for sha, r in tally.records.items() if r.outcome in EXPECT_DELIVERY}
    accepted = [r.accepted_at or r.sent_at for r in tally.records.values() if r.outcome in EXPECT_DELIVERY]
    deadline = max(accepted, default=time.time()) + settings.done_bound
    while True:
        tail.poll()
        missing = sum(1 for sha in expected if tail.counts[sha] == 0)
        remaining = deadline - time.time()
        if not missing or remaining <= 0:
            break
        tail.wait_more(missing, min(remaining, 5.0))
    tail.wait_more(1, settings.grace)  # returns early only if something more arrived
    tail.poll()


def settle(tally: Tally, tail: JournalTail, settings: LoadSettings, client: httpx.Client, gateway: str = "") -> Settled:
    """`gateway`: the inference base the users loaded; the run's headers go to its origin only."""
    started = time.monotonic()
    tail.poll()  # count what the load left before the settling adds its own entries to the rings
    settle_async(tally, settings, client, gateway)
    forgotten = settle_container_tasks(tally, settings, tail)
    await_deliveries(tally, tail, settings)
    proxies = [sha for sha, r in tally.records.items() if r.mode == "proxy" and tail.counts[sha] > 0]
    webhooks, unnamed = webhook_counts(tail.readers, settings.run_id, len(proxies),
                                       settings.done_bound if proxies else 0.0)
    return Settled(dict(webhooks), unnamed, forgotten, time.monotonic() - started)
