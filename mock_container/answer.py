"""What one request gets: its status, delay, body and headers, drawn from its
behaviour. No I/O, so every rule here is easy to read and to test (`decide`
is async only to yield to the event loop while it makes large random bodies).

Random draws use, in this order, the status (for `status-weights`), the
delay, then `random-bytes`. With a `seed`, the n-th call of a scenario or
correlation draws from `Random(f"{seed}:{n}")`, so a run is reproducible
call by call while successive calls still differ.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from .behaviour import Behaviour
from .bodies import Data, random_data

__all__ = ["Answer", "decide", "plain", "sample_delay", "JSON", "OCTETS"]

JSON = "application/json"
OCTETS = "application/octet-stream"
TEXT = "text/plain; charset=utf-8"


@dataclass(slots=True)
class Answer:
    status: int
    delay: float
    body: Data
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


async def shaped_body(b: Behaviour, rng: random.Random, echo: Callable[[], bytes]) -> tuple[Data, str]:
    """(body, default content type) from the one body field set, else the echo."""
    if b.body is not None:
        return Data.of(b.body), TEXT
    if b.json is not None:
        return Data.of(b.json), JSON
    if b.body_base64 is not None:
        return Data.of(b.body_base64), OCTETS
    if b.random_bytes is not None:
        return await random_data(rng, b.random_bytes), OCTETS
    return Data.of(echo()), JSON


def plain(echo: bytes) -> Answer:
    """The answer to a request without any field beyond `correlation` (the hot path)."""
    return Answer(200, 0.0, Data.of(echo), JSON, [])


async def decide(b: Behaviour, call: int, max_delay: float, echo: Callable[[], bytes]) -> Answer:
    """The answer to the `call`-th call (1-based) of this behaviour's counter key."""
    rng = rng_for(b.seed, call)
    headers = list(b.headers)
    if b.fail_first and call <= b.fail_first:
        body = json.dumps({"error": "fail-first", "call": call, "fail_first": b.fail_first}).encode()
        return Answer(b.fail_status, sample_delay(rng, b, max_delay), Data.of(body), JSON, headers, failing=True)
    if b.status_weights is not None:
        status = weighted_status(rng, b.status_weights)
    else:
        status = b.status or 200
    delay = sample_delay(rng, b, max_delay)
    body, content_type = await shaped_body(b, rng, echo)
    return Answer(status, delay, body, b.content_type or content_type, headers)
