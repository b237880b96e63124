"""A request timeline as a picture: shapes for an inline SVG, computed from a `Timeline`.

Only geometry and words live here; the HTML template writes the shapes
out with autoescaping, so a label taken from a gateway's answer can never
become markup.

The picture, left to right in seconds after the submission:
  client     the request in flight (submit -> 202)
  status     each status reading as polled, coloured by Status
  result     each result fetch and its status code
  container  the mock container's receipt and the time it worked
  webhook    deliveries at the mock's sink
with a vertical line per deadline (T_accept, T_done), green when met,
red when missed, grey when the run did not observe it. A deadline beyond
the picture's end is named at the right edge instead of stretching the
picture (a 20 ms accept would vanish next to a 7 s T_done).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from conformance.reports.timeline import Deadline, Timeline

__all__ = ["Shape", "Drawing", "draw"]

WIDTH = 1040
GUTTER = 78  # lane names
RIGHT = 16
TOP = 34  # deadline labels: T_accept on the first row, T_done on the second
LABEL_ROWS = {"T_accept": 12, "T_done": 27}
LANE = 26
AXIS = 26

STATUS_COLOURS = {"Initialized": "#b8c2cc", "Queue": "#94a3b8", "Inference": "#3b82f6", "Completed": "#16a34a",
                  "invalid": "#dc2626"}
DEADLINE_COLOURS = {True: "#16a34a", False: "#dc2626", None: "#6b7280"}
LANES = ("client", "status", "result", "container", "webhook")


@dataclass
class Shape:
    tag: str  # "line", "rect", "circle", "path", "text"
    attrs: dict[str, str]
    text: str = ""
    title: str = ""


@dataclass
class Drawing:
    width: int
    height: int
    shapes: list[Shape] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    label: str = ""


def _fmt(seconds: float) -> str:
    if abs(seconds) < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def _ticks(span: float) -> list[float]:
    raw = span / 6
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return [i * step for i in range(int(span / step) + 1)]


def _num(value: float) -> str:
    return f"{value:.1f}"


def draw(timeline: Timeline) -> Drawing:
    lanes = [lane for lane in LANES if lane == "client" or any(e.lane == lane for e in timeline.events)]
    y_of = {lane: TOP + LANE * i + LANE / 2 for i, lane in enumerate(lanes)}
    bottom = TOP + LANE * len(lanes)
    height = int(bottom + AXIS)
    # T_accept sets the scale of the accept; T_done stretches the picture only when it matters
    deadlines_in = [d for d in timeline.deadlines
                    if d.name == "T_accept" or d.met is False or d.at <= max(timeline.end, 0.001) * 1.6]
    span = max([timeline.end, *(d.at for d in deadlines_in), 0.001]) * 1.08
    plot = WIDTH - GUTTER - RIGHT

    def x(t: float) -> float:
        return GUTTER + max(t, 0.0) / span * plot

    drawing = Drawing(WIDTH, height, missed=[d.name for d in timeline.missed])
    shapes = drawing.shapes
    for lane in lanes:
        y = y_of[lane]
        shapes.append(Shape("rect", {"x": "0", "y": _num(y - LANE / 2), "width": str(WIDTH), "height": str(LANE),
                                     "class": f"lane lane-{lane}"}))
        shapes.append(Shape("text", {"x": "8", "y": _num(y + 4), "class": "lane-name"}, lane))
    for tick in _ticks(span):
        tx = x(tick)
        shapes.append(Shape("line", {"x1": _num(tx), "x2": _num(tx), "y1": str(TOP), "y2": _num(bottom + 4), "class": "grid"}))
        shapes.append(Shape("text", {"x": _num(tx), "y": _num(bottom + 17), "class": "tick"}, _fmt(tick)))
    _client(shapes, timeline, x, y_of["client"])
    if "result" in y_of:
        _results(shapes, timeline, x, y_of["result"])
    if "status" in y_of:
        _status(shapes, timeline, x, y_of["status"], span)
    if "container" in y_of:
        _container(shapes, timeline, x, y_of["container"])
    if "webhook" in y_of:
        for event in (e for e in timeline.events if e.lane == "webhook"):
            shapes.append(_marker(x(event.at), y_of["webhook"], "webhook", f"{event.label} at +{_fmt(event.at)}"))
            shapes.append(_label(x(event.at) + 7, y_of["webhook"] + 4, f"{event.label} +{_fmt(event.at)}"))
    _deadlines(shapes, timeline.deadlines, x, bottom, span)
    missed = ", ".join(drawing.missed)
    drawing.label = f"timeline of {timeline.title}" + (f"; missed: {missed}" if missed else "")
    return drawing


def _label(x: float, y: float, text: str, css: str = "label") -> Shape:
    """A label right of `x`, or left of it when it would run off the picture."""
    if x + 6.3 * len(text) > WIDTH - RIGHT:
        return Shape("text", {"x": _num(x - 14), "y": _num(y), "class": css, "text-anchor": "end"}, text)
    return Shape("text", {"x": _num(x), "y": _num(y), "class": css}, text)


def _marker(cx: float, cy: float, kind: str, title: str) -> Shape:
    return Shape("circle", {"cx": _num(cx), "cy": _num(cy), "r": "4.5", "class": f"mark mark-{kind}"}, title=title)


def _client(shapes: list[Shape], timeline: Timeline, x, y: float) -> None:  # type: ignore[no-untyped-def]
    submit = next(e for e in timeline.events if e.kind == "submit")
    answer = next((e for e in timeline.events if e.kind in ("accepted", "answered", "no-answer")), None)
    accept_deadline = next((d for d in timeline.deadlines if d.name == "T_accept"), None)
    state = "late" if accept_deadline and accept_deadline.met is False else ("ok" if answer and answer.kind == "accepted" else "other")
    end = answer.at if answer else submit.until or 0.0
    shapes.append(Shape("rect", {"x": _num(x(0)), "y": _num(y - 5), "width": _num(max(x(end) - x(0), 2)), "height": "10",
                                 "rx": "2", "class": f"flight flight-{state}"},
                        title=f"request in flight: {_fmt(end)}"))
    shapes.append(_marker(x(0), y, "submit", f"submitted (request #{submit.seq})"))
    if answer is not None:
        shapes.append(_marker(x(answer.at), y, answer.kind, f"{answer.label} at +{_fmt(answer.at)}"))
        shapes.append(_label(x(answer.at) + 8, y + 4, f"{answer.label} +{_fmt(answer.at)}", f"label label-{state}"))


def _results(shapes: list[Shape], timeline: Timeline, x, y: float) -> None:  # type: ignore[no-untyped-def]
    last_label = -1.0
    for event in (e for e in timeline.events if e.lane == "result"):
        ex = x(event.at)
        shapes.append(Shape("rect", {"x": _num(ex - 4), "y": _num(y - 4), "width": "8", "height": "8", "class": "mark mark-result"},
                            title=f"{event.label} at +{_fmt(event.at)} (request #{event.seq})"))
        if ex > last_label:
            text = f"{event.label} +{_fmt(event.at)}"
            shapes.append(_label(ex + 7, y + 4, text))
            last_label = ex + 7 + 6.5 * len(text)


def _status(shapes: list[Shape], timeline: Timeline, x, y: float, span: float) -> None:  # type: ignore[no-untyped-def]
    readings = [e for e in timeline.events if e.kind == "status"]
    last_label = -1.0
    for i, reading in enumerate(readings):
        end = readings[i + 1].at if i + 1 < len(readings) else reading.at + span * 0.01
        colour = STATUS_COLOURS.get(reading.status or "invalid", STATUS_COLOURS["invalid"])
        shapes.append(Shape("rect", {"x": _num(x(reading.at)), "y": _num(y - 6), "width": _num(max(x(end) - x(reading.at), 1.5)),
                                     "height": "12", "fill": colour, "class": "status-span"},
                            title=f"{reading.label} at +{_fmt(reading.at)} (request #{reading.seq})"))
        shapes.append(Shape("line", {"x1": _num(x(reading.at)), "x2": _num(x(reading.at)), "y1": _num(y - 8), "y2": _num(y + 8),
                                     "class": "poll"}))
        changed = i == 0 or readings[i - 1].status != reading.status
        if changed and x(reading.at) > last_label:
            text = f"{reading.label} +{_fmt(reading.at)}"
            shapes.append(_label(x(reading.at) + 3, y - 9, text, "label small"))
            last_label = x(reading.at) + 6 * len(text)


def _container(shapes: list[Shape], timeline: Timeline, x, y: float) -> None:  # type: ignore[no-untyped-def]
    for event in (e for e in timeline.events if e.lane == "container"):
        if event.until is not None:
            shapes.append(Shape("rect", {"x": _num(x(event.at)), "y": _num(y - 5), "width": _num(max(x(event.until) - x(event.at), 1.5)),
                                         "height": "10", "rx": "2", "class": "working"},
                                title=f"the container worked until +{_fmt(event.until)} (its configured delay)"))
        shapes.append(_marker(x(event.at), y, "received", f"{event.label} at +{_fmt(event.at)}"))
    first = next((e for e in timeline.events if e.lane == "container"), None)
    if first is not None:
        end = first.until if first.until is not None else first.at
        text = f"received +{_fmt(first.at)}" + (f", worked until +{_fmt(first.until)}" if first.until is not None else "")
        shapes.append(_label(x(end) + 7, y + 4, text))


def _deadlines(shapes: list[Shape], deadlines: list[Deadline], x, bottom: float, span: float) -> None:  # type: ignore[no-untyped-def]
    for deadline in deadlines:
        verdict = {True: "met", False: "missed", None: "not observed"}[deadline.met]
        title = f"{deadline.name} = {deadline.limit:g} s: {deadline.what}, due at +{_fmt(deadline.at)}: {verdict}"
        css = f"deadline deadline-{verdict.replace(' ', '-')}"
        label = f"{deadline.name} {deadline.limit:g} s · {verdict}"
        if deadline.at > span:
            shapes.append(Shape("text", {"x": str(WIDTH - RIGHT), "y": str(LABEL_ROWS.get(deadline.name, 12)), "class": f"{css} far",
                                         "data-deadline": deadline.name, "text-anchor": "end"},
                                f"{label} (due at +{_fmt(deadline.at)}) →", title=title))
            continue
        dx = x(deadline.at)
        row = LABEL_ROWS.get(deadline.name, 12)
        shapes.append(Shape("line", {"x1": _num(dx), "x2": _num(dx), "y1": str(row + 3), "y2": _num(bottom), "class": css,
                                     "data-deadline": deadline.name}, title=title))
        anchor = "end" if dx > WIDTH - 160 else "start"
        shapes.append(Shape("text", {"x": _num(dx + (-4 if anchor == "end" else 4)), "y": str(row), "class": css,
                                     "text-anchor": anchor}, label, title=title))
