"""Following one accepted respond-async submission to its result, like the provider's client.

Used by the load users (through Locust's HTTP client, so the polls count in
Locust's stats) and by the end-of-run settling (through httpx) for the
submissions the end of the load cut off: one rule for both.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from conformance.runs.load.answers import is_completed, judge_answer
from conformance.runs.load.tally import Tally, Submission
from conformance.runs.load.settings import LoadSettings

__all__ = ["Get", "follow_async", "pause", "POLL_FIRST", "POLL_MAX"]

#: (url, headers, stats name) -> (status or 0 when no HTTP answer, body, transport error name or None)
Get = Callable[[str, dict[str, str], str], tuple[int, bytes, str | None]]

POLL_FIRST, POLL_MAX = 0.05, 0.5


def pause(interval: float, deadline: float) -> float:
    """The status route can only be polled: a short, growing pause, never past the deadline."""
    time.sleep(max(0.0, min(interval, deadline - time.time())))
    return min(interval * 2, POLL_MAX)


def follow_async(record: Submission, tally: Tally, settings: LoadSettings, get: Get) -> None:
    """Poll status until Completed (or T_done after the accept), then judge the result."""
    accepted = record.accepted_at or record.sent_at
    deadline = accepted + settings.done_bound
    # the container was told to take D: nothing can be Completed before that
    time.sleep(max(0.0, accepted + settings.delay - time.time()))
    headers = {"X-Inference-Id": record.inference_id or ""}
    interval = POLL_FIRST
    while True:
        status, content, transport = get(record.status_url or "", headers, "async status")
        if status == 404:
            tally.lost(record, "status answered 404 for an accepted Id")
            return
        completed = is_completed(content) if status == 200 else None
        if completed:
            break
        if completed is None:
            tally.error(f"async status: {transport or (f'HTTP {status}' if status != 200 else 'not a status document')}")
        if time.time() >= deadline:
            tally.lost(record, f"not Completed within T_done={settings.done_bound:g}s")
            return
        interval = pause(interval, deadline)
    for _attempt in range(3):  # a transport error reading the result is not the gateway losing it
        status, content, transport = get(record.result_url or "", headers, "async result")
        if not transport:
            judge_answer(tally, record, status, content, "async result")
            return
        tally.error(f"async result: {transport}")
    tally.failed(record, f"async result: {transport}")
