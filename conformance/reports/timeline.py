"""Each async request's life, read back from a check's recorded exchanges.

A timeline starts at a respond-async or respond-async-proxy submission and
gathers, on one clock (seconds after the submission was sent):
- the gateway's answer (the 202, or whatever came instead);
- the container's receipt of the request and its processing time, from the
  mock journal entries the run read (the mock's wall clock);
- every status reading, in the order polled, and every result fetch (the
  requests naming the submission's Id);
- webhook deliveries at the mock's sink (keyed by the correlation);
- the contract's deadlines: the 202 within `T_accept` of the submission,
  `Completed` (respond-async) or the container's receipt (proxy) within
  `T_done` of the accept, each marked met, missed or not observed.

It works on the JSON document (dicts), so a saved run renders the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from conformance.contract import prefer
from conformance.contract.status import STATUS_NAMES

__all__ = ["Event", "Deadline", "Timeline", "timelines", "describe", "select"]

Exchange = dict[str, Any]



@dataclass
class Event:
    at: float  # seconds after the submission was sent
    lane: str  # "client", "status", "result", "container", "webhook"
    kind: str  # submit, accepted, answered, no-answer, status, result, received, delivered
    label: str
    seq: int | None = None
    until: float | None = None  # end of a span (the request in flight, the container working)
    status: str | None = None  # for status readings: the Status name (or "invalid")


@dataclass
class Deadline:
    name: str  # "T_accept" or "T_done"
    at: float
    limit: float  # the parameter's value in seconds
    what: str
    met: bool | None  # None: the run did not observe it


@dataclass
class Timeline:
    mode: str  # "respond-async" or "respond-async-proxy"
    title: str
    submit_seq: int
    correlation: str | None
    inference_id: str | None
    started_at: float  # wall clock of the submission
    events: list[Event] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def end(self) -> float:
        times = [e.until if e.until is not None else e.at for e in self.events]
        return max(times, default=0.0)

    @property
    def missed(self) -> list[Deadline]:
        return [d for d in self.deadlines if d.met is False]


def _header(exchange: Exchange, name: str) -> str | None:
    return next((v for k, v in exchange["request"]["headers"] if k.lower() == name), None)


def _mode(exchange: Exchange) -> prefer.Mode:
    return prefer.select_mode([v for k, v in exchange["request"]["headers"] if k.lower() == "prefer"])


def _json(body: dict[str, Any] | None) -> Any:
    if not body or body.get("text") is None or body.get("truncated"):
        return None
    try:
        return json.loads(body["text"])
    except ValueError:
        return None


def _answered(exchange: Exchange, t0: float) -> float:
    return exchange["started_at"] + (exchange.get("elapsed") or 0.0) - t0


def _path(url: str) -> str:
    return url.split("?", 1)[0]


def _status_of(exchange: Exchange) -> str:
    response = exchange.get("response")
    if response is None:
        return "invalid"
    document = _json(response["body"])
    value = document.get("Status") if isinstance(document, dict) else None
    if response["status"] == 200 and value in STATUS_NAMES:
        return value
    if response["status"] == 200 and isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3:
        return STATUS_NAMES[value]
    return "invalid"


def _follow_ups(timeline: Timeline, submission: Exchange, exchanges: list[Exchange], accept: dict[str, Any]) -> None:
    t0 = timeline.started_at
    status_url = _path(urljoin(submission["request"]["url"], str(accept.get("StatusPath", ""))))
    result_url = _path(urljoin(submission["request"]["url"], str(accept.get("ResultPath", ""))))
    for exchange in exchanges:
        if exchange["seq"] <= submission["seq"] or exchange["target"] != submission["target"]:
            continue
        if exchange["request"]["method"].upper() != "GET" or _header(exchange, "x-inference-id") != timeline.inference_id:
            continue
        at = _answered(exchange, t0)
        response = exchange.get("response")
        url = _path(exchange["request"]["url"])
        if url == status_url:
            status = _status_of(exchange)
            code = response["status"] if response else "no answer"
            label = status if status != "invalid" else f"invalid status answer ({code})"
            timeline.events.append(Event(at, "status", "status", label, exchange["seq"], status=status))
        else:
            what = "result" if url == result_url else f"GET {url}"
            answer = str(response["status"]) if response else "no answer"
            timeline.events.append(Event(at, "result", "result", f"{what} {answer}", exchange["seq"]))


def _container_side(timeline: Timeline, exchanges: list[Exchange], shared: bool) -> None:
    if timeline.correlation is None:
        return
    if shared:
        timeline.notes.append("several submissions share this correlation: the container side is not drawn")
        return
    seen: set[tuple[str, int]] = set()
    for exchange in exchanges:
        for entry in exchange.get("mock_entries") or ():
            if entry.get("key") != timeline.correlation or (entry["kind"], entry["seq"]) in seen:
                continue
            seen.add((entry["kind"], entry["seq"]))
            at = entry["time"] - timeline.started_at
            if entry["kind"] == "journal":
                delay = entry.get("delay")
                until = at + delay if isinstance(delay, (int, float)) and delay > 0 else None
                answer = f", answered {entry['status']}" if entry.get("status") is not None else ""
                label = f"container received {entry.get('method') or ''} {entry.get('path') or ''}{answer}".rstrip()
                timeline.events.append(Event(at, "container", "received", label, until=until))
            else:
                answer = f" (sink answered {entry['status']})" if entry.get("status") is not None else ""
                timeline.events.append(Event(at, "webhook", "delivered", f"webhook delivered{answer}"))
    received = [e for e in timeline.events if e.kind == "received"]
    if len(received) > 1:
        timeline.notes.append(f"the container received this request {len(received)} times")


def _deadlines(timeline: Timeline, accepted_at: float | None, parameters: dict[str, Any], waited_until: float) -> None:
    t_accept, t_done = parameters.get("T_accept"), parameters.get("T_done")
    answer = next((e for e in timeline.events if e.lane == "client" and e.kind in ("accepted", "answered", "no-answer")), None)
    if isinstance(t_accept, (int, float)):
        # late is missed whatever came; a non-202 in time is no 202 to time (judged elsewhere)
        met = None if answer is None else (False if answer.at > t_accept else (True if answer.kind == "accepted" else None))
        timeline.deadlines.append(Deadline("T_accept", t_accept, t_accept, "202 within T_accept of the submission", met))
    if not isinstance(t_done, (int, float)) or accepted_at is None:
        return
    deadline = accepted_at + t_done
    if timeline.mode == prefer.Mode.ASYNC.value:
        done = next((e for e in timeline.events if e.kind == "status" and e.status == "Completed"), None)
        last_poll = max((e.at for e in timeline.events if e.kind == "status"), default=None)
        met = (done.at <= deadline) if done else (False if last_poll is not None and last_poll >= deadline else None)
        timeline.deadlines.append(Deadline("T_done", deadline, t_done, "Completed within T_done of the accept", met))
    else:
        received = next((e for e in timeline.events if e.kind == "received"), None)
        met = (received.at <= deadline) if received else (False if waited_until >= deadline else None)
        timeline.deadlines.append(Deadline("T_done", deadline, t_done, "container received it within T_done of the accept", met))


def _one(submission: Exchange, exchanges: list[Exchange], parameters: dict[str, Any], shared: bool) -> Timeline:
    mode = _mode(submission).value
    request, response = submission["request"], submission.get("response")
    t0 = submission["started_at"]
    accept = _json(response["body"]) if response and response["status"] == 202 else None
    accept = accept if isinstance(accept, dict) else {}
    inference_id = accept.get("Id") if isinstance(accept.get("Id"), str) else None
    path = _path(request["url"]).split("//", 1)[-1].partition("/")[2]
    timeline = Timeline(mode, f"#{submission['seq']} {request['method']} /{path} ({mode})", submission["seq"],
                        _header(submission, "x-mock-correlation"), inference_id, t0)
    at = _answered(submission, t0)
    timeline.events.append(Event(0.0, "client", "submit", "submitted", submission["seq"], until=at))
    accepted_at = None
    if response is None:
        timeline.events.append(Event(at, "client", "no-answer", f"no answer: {submission.get('error') or 'none'}",
                                     submission["seq"]))
    elif response["status"] == 202:
        accepted_at = at
        timeline.events.append(Event(at, "client", "accepted", "202 Accepted", submission["seq"]))
    else:
        timeline.events.append(Event(at, "client", "answered", f"answered {response['status']} instead of 202",
                                     submission["seq"]))
    if inference_id is not None:
        _follow_ups(timeline, submission, exchanges, accept)
    _container_side(timeline, exchanges, shared)
    waited = max((_answered(e, t0) for e in exchanges if e["target"] == "mock" and e["seq"] > submission["seq"]
                  and timeline.correlation and timeline.correlation in e["request"]["url"]), default=0.0)
    _deadlines(timeline, accepted_at, parameters, waited)
    timeline.events.sort(key=lambda e: e.at)
    return timeline


def timelines(check: dict[str, Any], parameters: dict[str, Any]) -> list[Timeline]:
    """The timelines of every respond-async and respond-async-proxy submission a check made."""
    exchanges = sorted(check.get("exchanges") or (), key=lambda e: e["seq"])
    submissions = [e for e in exchanges if e["target"] != "mock"
                   and _mode(e) in (prefer.Mode.ASYNC, prefer.Mode.PROXY)]
    correlations = [_header(e, "x-mock-correlation") for e in submissions]
    return [_one(e, exchanges, parameters, correlations.count(_header(e, "x-mock-correlation")) > 1)
            for e in submissions]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if abs(seconds) < 1 else f"{seconds:.2f} s"


def describe(timeline: Timeline) -> list[str]:
    """The timeline as text lines (JUnit, console): one line per event, then the deadlines."""
    lines = [timeline.title + (f", Id {timeline.inference_id}" if timeline.inference_id else "")]
    status = None
    for event in timeline.events:
        if event.kind == "status":
            if event.status == status:
                continue  # a poll that saw nothing new
            status = event.status
        span = f" (until +{_ms(event.until)})" if event.until is not None and event.kind != "submit" else ""
        lines.append(f"  +{_ms(event.at):>9}  {event.label}{span}")
    for deadline in timeline.deadlines:
        verdict = {True: "met", False: "MISSED", None: "not observed"}[deadline.met]
        lines.append(f"  {deadline.name} = {deadline.limit:g} s ({deadline.what}, due at +{_ms(deadline.at)}): {verdict}")
    lines += [f"  note: {note}" for note in timeline.notes]
    return lines


def select(items: Iterable[Timeline], limit: int, important: set[int]) -> list[Timeline]:
    """At most `limit` timelines: those of the failure's requests and missed deadlines first, then in order."""
    ordered = sorted(items, key=lambda t: (t.submit_seq not in important and not t.missed, t.submit_seq))
    return sorted(ordered[:limit], key=lambda t: t.submit_seq)
