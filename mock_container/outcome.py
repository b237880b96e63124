"""What one request gets: its status, delay, body and headers, drawn from its
behaviour. Pure: no I/O, so every rule here is easy to read and to test.

Random draws use, in this order, the status (for `status-weights`), the
delay, then `random-bytes`. With a `seed`, the n-th call of a scenario or
correlation draws from `Random(f"{seed}:{n}")`, so a run is reproducible
call by call while successive calls still differ.
"""

from __future__ import annotations

import base64
import bisect
import itertools
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from .behaviour import Behaviour

__all__ = ["Outcome", "decide", "sample_delay", "JSON", "OCTETS"]

JSON = "application/json"
OCTETS = "application/octet-stream"
TEXT = "text/plain; charset=utf-8"


@dataclass(slots=True)
class Outcome:
    status: int
    delay: float
    body: bytes
    content_type: str
    headers: list[tuple[bytes, bytes]]  # extra response headers
    failing: bool = False  # a fail-first failure: normal shaping and faults do not apply


def rng_for(seed: int | None, call: int) -> random.Random:
    if seed is None:
        return random._inst  # the module's shared generator: no allocation on the hot path
    return random.Random(f"{seed}:{call}")


def weighted_status(rng: random.Random, weights: tuple[tuple[int, float], ...]) -> int:
    cumulative = list(itertools.accumulate(weight for _, weight in weights))
    point = rng.random() * cumulative[-1]
    index = bisect.bisect_right(cumulative, point)
    return weights[min(index, len(weights) - 1)][0]


def sample_delay(rng: random.Random, b: Behaviour, cap: float) -> float:
    dist = b.delay_dist
    if dist == "fixed":
        return b.delay
    if dist == "uniform":
        value = rng.uniform(b.delay, b.delay_max)
    elif dist == "exponential":
        value = rng.expovariate(1.0 / b.delay) if b.delay > 0 else 0.0
    else:  # lognormal: delay is the median
        value = rng.lognormvariate(math.log(b.delay), b.delay_sigma) if b.delay > 0 else 0.0
    return min(value, cap)


def shaped_body(b: Behaviour, rng: random.Random, echo: Callable[[], bytes]) -> tuple[bytes, str]:
    """(body, default content type) from the one body field set, else the echo."""
    if b.body is not None:
        return b.body.encode("utf-8"), TEXT
    if "json" in b.fields:
        return json.dumps(b.json, separators=(",", ":")).encode("utf-8"), JSON
    if b.body_base64 is not None:
        return base64.b64decode(b.body_base64), OCTETS
    if b.random_bytes is not None:
        return rng.randbytes(b.random_bytes), OCTETS
    return echo(), JSON


def extra_headers(b: Behaviour) -> list[tuple[bytes, bytes]]:
    if not b.headers:
        return []
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in b.headers.items()]


def decide(b: Behaviour, call: int, max_delay: float, echo: Callable[[], bytes]) -> Outcome:
    """The outcome of the `call`-th call (1-based) of this behaviour's counter key."""
    if b.plain:
        return Outcome(200, 0.0, echo(), JSON, [])  # the hot path
    rng = rng_for(b.seed, call)
    if b.fail_first and call <= b.fail_first:
        body = json.dumps({"error": "fail-first", "call": call, "fail_first": b.fail_first}).encode()
        return Outcome(b.fail_status, sample_delay(rng, b, max_delay), body, JSON, extra_headers(b), failing=True)
    if b.status_weights is not None:
        status = weighted_status(rng, b.status_weights)
    else:
        status = b.status or 200
    delay = sample_delay(rng, b, max_delay)
    body, content_type = shaped_body(b, rng, echo)
    return Outcome(status, delay, body, b.content_type or content_type, extra_headers(b))
