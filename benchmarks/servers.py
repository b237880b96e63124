"""The servers a benchmark compares: how to start each on a free loopback
port, wait until it answers, and stop it (and its children) afterwards."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import httpx

__all__ = ["ServerSpec", "Running", "running", "running_all", "free_port", "HERE", "ROOT"]

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


@dataclass(frozen=True)
class ServerSpec:
    name: str
    argv: Callable[[int], list[str]]  # port -> command line
    ready_path: str = "/health"  # a GET of this answers 200 once the server serves


@dataclass(frozen=True)
class Running:
    spec: ServerSpec
    port: int
    pid: int

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(proc: subprocess.Popen, spec: ServerSpec, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}{spec.ready_path}"
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{spec.name} exited with {proc.returncode} before serving")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{spec.name} did not answer GET {spec.ready_path} within {timeout:g} s")
        time.sleep(0.05)  # a port opening in another process: nothing to wait on but polling


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the server's process group (gunicorn's workers too), then SIGKILL."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@contextmanager
def running(spec: ServerSpec, cpus: str | None = None) -> Iterator[Running]:
    """`spec` served on a free port, pinned to `cpus` (a taskset list) if given."""
    port = free_port()
    argv = spec.argv(port)
    if cpus is not None:
        argv = ["taskset", "-c", cpus, *argv]
    # stderr to a file, not a pipe: a pipe nobody drains would block a chatty server.
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=log, start_new_session=True)
        try:
            try:
                _wait_ready(proc, spec, port)
            except RuntimeError as exc:
                _stop(proc)
                log.seek(0)
                raise RuntimeError(f"{exc}\n{log.read().decode(errors='replace')[-2000:]}") from None
            yield Running(spec, port, proc.pid)
        finally:
            _stop(proc)


@contextmanager
def running_all(specs: list[ServerSpec], cpus: str | None = None) -> Iterator[list[Running]]:
    with ExitStack() as stack:
        yield [stack.enter_context(running(spec, cpus)) for spec in specs]


# --- the servers ---------------------------------------------------------------------------


def mock_argv(port: int) -> list[str]:
    return [sys.executable, "-m", "mock_container", "--port", str(port)]


def peer_argv(name: str) -> Callable[[int], list[str]]:
    script = os.path.join(HERE, "peers", f"{name}.py")
    return lambda port: [sys.executable, script, str(port)]


def gunicorn_argv(worker_class: str) -> Callable[[int], list[str]]:
    """httpbin as its users run it: gunicorn, one worker (gunicorn's default).
    No control socket: several gunicorns, ours or anyone's, would share its path."""
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    return lambda port: [gunicorn, "--bind", f"127.0.0.1:{port}", "--workers", "1",
                         "--worker-class", worker_class, "--no-control-socket", "--log-level", "warning",
                         "httpbin:app"]
