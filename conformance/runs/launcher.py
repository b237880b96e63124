"""Start a server as a child process on a free loopback port, wait until it
answers, and stop it for sure.

Used by the CLI (`conformance run` starts the mock container and the
reference gateway; `--gateway-cmd` starts the team's own gateway;
`conformance container --container-cmd` the author's container, whose
health wait it judges itself: `launch()` without `wait_healthy()`) and by
the project's tests, so every server a run starts is stopped the same way.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

__all__ = ["free_port", "ManagedServer", "ServerStartError", "python_command"]


class ServerStartError(RuntimeError):
    """The server did not start or did not become healthy in time."""


#: Ports this process handed out: the OS may offer a just-closed port again
#: before the first server has bound it, and two servers on one port would
#: make one look healthy with the other's answers.
_handed_out: set[int] = set()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the OS picks it), never one this process handed out before."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = sock.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
    raise ServerStartError("no free loopback port found in 100 tries")


def python_command(module: str, *args: str) -> list[str]:
    """`python -m module args…` with the interpreter running this process."""
    return [sys.executable, "-m", module, *args]


@dataclass
class ManagedServer:
    """A child process serving HTTP on `port`, healthy when `health_url` answers.

    `argv` may be a list or a shell-like string; `{port}` in it is replaced.
    Use as a context manager, or call `start()` / `stop()`.
    """

    argv: Sequence[str] | str
    name: str = "server"
    port: int = field(default_factory=free_port)
    health_path: str = "/health"
    healthy_statuses: tuple[int, ...] = (200,)
    start_timeout: float = 20.0
    env: dict[str, str] | None = None
    substitutions: dict[str, str] = field(default_factory=dict)
    _proc: subprocess.Popen | None = field(default=None, init=False, repr=False)
    _log: tempfile._TemporaryFileWrapper | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        values = {"port": str(self.port), **self.substitutions}
        if isinstance(self.argv, str):
            return shlex.split(self.argv.format(**values))
        return [part.format(**values) for part in self.argv]

    def start(self) -> "ManagedServer":
        """Start the process and wait until `health_url` answers (ServerStartError otherwise)."""
        self.launch()
        self.wait_healthy()
        return self

    def launch(self) -> "ManagedServer":
        """Start the process without waiting for it: for a caller that judges the wait itself
        (`conformance container --container-cmd` reports how long the health route took)."""
        self._log = tempfile.NamedTemporaryFile(prefix=f"{self.name}-", suffix=".log", delete=False)
        env = {**os.environ, **(self.env or {})}
        try:
            self._proc = subprocess.Popen(
                self.command(),
                stdout=self._log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,  # so stop() can end its children too
            )
        except OSError as exc:
            self.stop()
            raise ServerStartError(f"{self.name}: cannot start {self.command()!r}: {exc}") from exc
        return self

    @property
    def returncode(self) -> int | None:
        """The exit code once the process has ended; None while it runs (or before it started)."""
        return self._proc.poll() if self._proc is not None else None

    def wait_healthy(self) -> None:
        """Poll `health_path` until it answers a healthy status; ServerStartError (stopping the process,
        quoting its last output) when the process exits first or `start_timeout` passes."""
        deadline = time.monotonic() + self.start_timeout
        last_error = "no answer yet"
        with httpx.Client(timeout=1.0, trust_env=False) as client:  # a proxy of the environment never sees the probe
            while time.monotonic() < deadline:
                if self._proc is not None and self._proc.poll() is not None:
                    self._fail(f"exited with code {self._proc.returncode} before it was healthy")
                try:
                    response = client.get(self.url + self.health_path)
                    if response.status_code in self.healthy_statuses:
                        return
                    last_error = f"{self.health_path} answered {response.status_code}"
                except httpx.HTTPError as exc:
                    last_error = f"{type(exc).__name__}: {exc}"
                time.sleep(0.05)  # polling a port that is not open yet: no event to wait on
        self._fail(f"not healthy after {self.start_timeout:.0f} s ({last_error})")

    def _fail(self, why: str) -> None:
        tail = self.tail()
        self.stop()
        raise ServerStartError(f"{self.name} ({' '.join(self.command())}): {why}\n{tail}")

    def output(self) -> str:
        """What the process printed so far."""
        if self._log is None:
            return ""
        self._log.flush()
        with open(self._log.name, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def tail(self, lines: int = 30, limit: int = 64 * 1024) -> str:
        """The last `lines` lines the process printed, read from at most its last `limit` bytes."""
        if self._log is None:
            return ""
        self._log.flush()
        with open(self._log.name, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(size - limit, 0))
            text = handle.read().decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 5.0) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=timeout)
        if self._log is not None:
            self._log.close()
            try:
                os.unlink(self._log.name)
            except FileNotFoundError:
                pass
            self._log = None

    def __enter__(self) -> "ManagedServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
