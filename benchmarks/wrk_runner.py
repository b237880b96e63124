"""Running wrk and reading its `--latency` report into numbers.

wrk is the load generator of the throughput comparison because it is not
Python: a Python client on a 2-core machine spends as much CPU per request
as the servers it measures, and would set the ratios itself.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field, replace

__all__ = ["WrkResult", "WrkError", "run_wrk", "parse_wrk"]

#: wrk's time units (format_time_us) in seconds.
TIME_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_NUMBER = r"([0-9]+(?:\.[0-9]+)?)"
_TIME = _NUMBER + r"(us|ms|s|m|h)"

_LATENCY = re.compile(r"^\s*Latency\s+" + _TIME + r"\s+" + _TIME + r"\s+" + _TIME, re.MULTILINE)
_PERCENTILE = re.compile(r"^\s*(50|75|90|99)%\s+" + _TIME + r"\s*$", re.MULTILINE)
_TOTAL = re.compile(r"^\s*([0-9]+) requests in " + _TIME, re.MULTILINE)
_RATE = re.compile(r"^Requests/sec:\s+" + _NUMBER, re.MULTILINE)
_SOCKET = re.compile(r"Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: ([0-9]+)")
#: The line benchmarks/report.lua prints: the same latencies, in exact microseconds.
_EXACT = re.compile(r"^wrk-report (.*)$", re.MULTILINE)


class WrkError(RuntimeError):
    """wrk failed, or printed a report this parser does not recognise."""


@dataclass(frozen=True)
class SocketErrors:
    connect: int = 0
    read: int = 0
    write: int = 0
    timeout: int = 0

    @property
    def total(self) -> int:
        return self.connect + self.read + self.write + self.timeout


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    rate: float  # requests per second, as wrk computed it
    latency_avg: float  # seconds
    latency_stdev: float
    latency_max: float
    latency_min: float | None  # only from benchmarks/report.lua's line
    percentiles: dict[int, float]  # 50, 75, 90, 99 -> seconds
    errors: SocketErrors = field(default_factory=SocketErrors)
    non_2xx: int = 0


def _seconds(value: str, unit: str) -> float:
    return float(value) * TIME_UNITS[unit]


def _required(pattern: re.Pattern, text: str, what: str) -> re.Match:
    match = pattern.search(text)
    if match is None:
        raise WrkError(f"no {what} line in wrk's output:\n{text}")
    return match


def parse_wrk(text: str) -> WrkResult:
    """The numbers of one `wrk --latency` report; WrkError when a line is missing.

    wrk prints latencies with three significant digits ("1.00s"); when the
    run's script was benchmarks/report.lua (or loads it), its exact line
    replaces them."""
    latency = _required(_LATENCY, text, "Latency").groups()
    total = _required(_TOTAL, text, "'N requests in'")
    rate = _required(_RATE, text, "Requests/sec")
    percentiles = {int(p): _seconds(v, u) for p, v, u in _PERCENTILE.findall(text)}
    if set(percentiles) != {50, 75, 90, 99}:
        raise WrkError(f"no full latency distribution (run with --latency):\n{text}")
    socket = _SOCKET.search(text)
    non_2xx = _NON_2XX.search(text)
    result = WrkResult(
        requests=int(total.group(1)),
        seconds=_seconds(total.group(2), total.group(3)),
        rate=float(rate.group(1)),
        latency_avg=_seconds(*latency[0:2]),
        latency_stdev=_seconds(*latency[2:4]),
        latency_max=_seconds(*latency[4:6]),
        latency_min=None,
        percentiles=percentiles,
        errors=SocketErrors(*map(int, socket.groups())) if socket else SocketErrors(),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
    )
    exact = _EXACT.search(text)
    return _with_exact(result, exact.group(1), text) if exact else result


def _with_exact(result: WrkResult, fields: str, text: str) -> WrkResult:
    try:
        values = {key: float(value) for key, value in (item.split("=", 1) for item in fields.split())}
        if int(values["requests"]) != result.requests:
            raise WrkError(f"wrk-report counts {values['requests']:.0f} requests, the report {result.requests}")
        return replace(
            result,
            latency_avg=values["mean_us"] * 1e-6,
            latency_stdev=values["stdev_us"] * 1e-6,
            latency_max=values["max_us"] * 1e-6,
            latency_min=values["min_us"] * 1e-6,
            percentiles={p: values[f"p{p}_us"] * 1e-6 for p in (50, 75, 90, 99)},
        )
    except (KeyError, ValueError) as exc:
        raise WrkError(f"unreadable wrk-report line ({exc}):\n{text}") from None


def run_wrk(url: str, *, connections: int, seconds: float, script: str | None = None,
            headers: tuple[str, ...] = (), timeout: float | None = None,
            cpus: str | None = None) -> WrkResult:
    """One wrk run with one thread; `cpus` pins it (taskset list, e.g. "1")."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise WrkError("wrk is not installed (apt-get install wrk)")
    argv = [wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
    if script:
        argv += ["-s", script]
    for header in headers:
        argv += ["-H", header]
    if timeout is not None:
        argv += ["--timeout", f"{timeout:g}s"]
    argv.append(url)
    if cpus is not None:
        argv = ["taskset", "-c", cpus, *argv]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise WrkError(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return parse_wrk(done.stdout)
