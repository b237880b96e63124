"""Before any container check: is the container there, and how long until its health route says ready?

A container that is still loading its model answers 503 (or refuses
connections) for a while; the suite waits for it up to `--ready-timeout`,
as a gateway's health check would, and reports how long it took. Only a
container that never answered at all is a usage problem (exit 2); one that
answered but never 200 fails CT-HEALTH-01. A container the run started
(--container-cmd) that exits before answering is a usage problem at once,
its last output lines quoted.
"""

from __future__ import annotations

import time

import httpx

from conformance.judge.container_config import ContainerConfig, Readiness
from conformance.judge.verdicts import show
from conformance.runs.gateway.preflight import TargetError
from conformance.runs.launcher import ManagedServer

__all__ = ["wait_ready", "PROBE_INTERVAL", "OUTPUT_LINES", "output_block"]

#: pause between two health probes: the route has no long-poll, so this is a bounded poll
PROBE_INTERVAL = 0.1
#: lines of a started container's output quoted when it never started (and kept in a failed run's report)
OUTPUT_LINES = 30


def output_block(process: ManagedServer, lines: int = OUTPUT_LINES) -> str:
    """The last lines a started container printed, indented, or a line saying it printed nothing."""
    tail = process.tail(lines)
    if not tail.strip():
        return "it printed nothing"
    return "its last output lines:\n" + "\n".join(f"  | {line}" for line in tail.splitlines())


def _collapse(labels: list[str]) -> str:
    runs: list[list] = []
    for label in labels:
        if runs and runs[-1][0] == label:
            runs[-1][1] += 1
        else:
            runs.append([label, 1])
    return " -> ".join(label if count == 1 else f"{label} ×{count}" for label, count in runs)


def wait_ready(config: ContainerConfig, process: ManagedServer | None = None) -> Readiness:
    """Probe `GET {url}{health_path}` until it answers 200 or `ready_timeout` passes.

    Raises TargetError when nothing ever answered (wrong URL or port, container not started), or
    when `process` (the container the run started) exits before its health route answered 200.
    """
    url = config.url.rstrip("/") + config.health_path
    headers = list(config.headers)
    labels: list[str] = []
    last, answered = "no answer", False
    started = time.monotonic()
    deadline = started + config.ready_timeout
    with httpx.Client(follow_redirects=False, trust_env=False) as client:  # no proxy of the environment
        while True:
            if process is not None and process.returncode is not None:
                if not answered:
                    raise TargetError(f"the container command exited with code {process.returncode} before its "
                                      f"health route answered ({url}); {output_block(process)}")
                labels.append(f"exited ({process.returncode})")
                last = f"the container exited with code {process.returncode}"
                break  # it answered, then died: not ready, judged by CT-HEALTH-01
            remaining = deadline - time.monotonic()
            try:
                response = client.get(url, headers=headers, timeout=max(min(remaining, 5.0), 0.2))
            except httpx.HTTPError as exc:
                labels.append(type(exc).__name__)
                last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            else:
                answered = True
                labels.append(str(response.status_code))
                last = f"{response.status_code} {show(response.text, 200)}".rstrip()
                if response.status_code == 200:
                    return Readiness(True, time.monotonic() - started, len(labels), _collapse(labels), last,
                                     config.ready_timeout)
            if time.monotonic() + PROBE_INTERVAL >= deadline:
                break
            time.sleep(PROBE_INTERVAL)  # nothing to wait on but the clock: the container gives no event
    if not answered and process is not None:
        raise TargetError(
            f"the container the suite started does not answer: GET {url} failed for {config.ready_timeout:g} s "
            f"(--ready-timeout), last with {last}; does it listen on {{port}} (--url)? {output_block(process)}")
    if not answered:
        raise TargetError(
            f"the container at {config.url} does not answer: GET {url} failed for {config.ready_timeout:g} s "
            f"(--ready-timeout), last with {last}; start it and pass its base URL with --url")
    return Readiness(False, time.monotonic() - started, len(labels), _collapse(labels), last, config.ready_timeout)
