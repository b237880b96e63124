"""Is the instrument the bottleneck? CPU of the processes of the run on this machine.

A mock container is one Python process: past one core's worth of work it
answers late and journals late, and every latency measured through it grows.
The same holds for a Locust process generating the load. Once a second
during the load this samples the CPU of this load process, of every mock
listening on a loopback port of this machine, and of the gateway if it is
local too (observed only: the gateway's CPU is what is being measured). A
mock or load process that averaged near a full core is named in the report,
so a verdict is never silently the instrument's. (Locust reports its
distributed workers' CPU over 90 % itself.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import psutil

from conformance.runs.load.settings import is_loopback_url

__all__ = ["InstrumentMonitor", "SATURATED"]

#: Mean CPU share of one core above which a mock counts as saturated.
SATURATED = 80.0


def _listener(port: int) -> psutil.Process | None:
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
                return psutil.Process(conn.pid)
    except (psutil.Error, OSError):
        return None
    return None


@dataclass
class _Watched:
    role: str  # "mock", "gateway" or "load generator"
    name: str
    process: psutil.Process
    samples: list[float] = field(default_factory=list)


class InstrumentMonitor:
    def __init__(self, container_urls: tuple[str, ...], gateway_url: str | None = None) -> None:
        self.watched: list[_Watched] = []
        self._watch("load generator", "this load process", psutil.Process())
        for role, url in [*(("mock", u) for u in container_urls), ("gateway", gateway_url or "")]:
            port = urlsplit(url).port
            process = _listener(port) if port and is_loopback_url(url) else None
            if process is not None:
                self._watch(role, url, process)

    def _watch(self, role: str, name: str, process: psutil.Process) -> None:
        if any(w.process.pid == process.pid for w in self.watched):
            return  # e.g. the mock itself given as the gateway: one process, sampled once
        try:
            process.cpu_percent(None)  # the first call only starts the measurement
        except psutil.Error:
            return
        self.watched.append(_Watched(role, name, process))

    def sample(self) -> None:
        for watched in self.watched:
            try:
                watched.samples.append(watched.process.cpu_percent(None))
            except psutil.Error:
                pass

    def summary(self) -> dict[str, dict[str, Any]]:
        """name -> role and mean / max CPU (% of one core) over the load."""
        return {
            w.name: {"role": w.role, "mean_cpu": round(sum(w.samples) / len(w.samples), 1),
                     "max_cpu": round(max(w.samples), 1)}
            for w in self.watched
            if w.samples
        }

    def notes(self) -> list[str]:
        out = []
        for name, cpu in self.summary().items():
            if cpu["mean_cpu"] < SATURATED or cpu["role"] == "gateway":
                continue
            remedy = "run more mocks (see the README)" if cpu["role"] == "mock" else "add Locust workers (--master/--worker)"
            out.append(
                f"the {cpu['role']} ({name}) averaged {cpu['mean_cpu']:.0f}% of a core (max {cpu['max_cpu']:.0f}%): "
                f"it was near its limit, so rates and latencies include the instrument's own delay; {remedy} "
                "or lower the load"
            )
        return out
