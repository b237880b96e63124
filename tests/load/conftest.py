"""Fixtures of the load conformance tests: gateways (reference or mutant) in
front of the session's mock container, and a way to run `conformance load`
as a user would, bounded and leaving nothing running."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conformance.runs.launcher import ManagedServer, python_command

#: A short, light load: a few seconds, few users, a container that is quick
#: (D) so each user makes many submissions. Every run is bounded by RUN_TIMEOUT.
SHORT = ["--duration", "4s", "--users", "8", "--spawn-rate", "8", "--delay", "0.2"]
RUN_TIMEOUT = 90


@dataclass
class LoadRun:
    code: int
    document: dict[str, Any] | None
    output: str

    def outcomes(self) -> dict[str, str]:
        assert self.document is not None, f"no verdicts written (exit {self.code}):\n{self.output[-3000:]}"
        return {r["id"]: r["outcome"] for r in self.document["requirements"]}

    def requirement(self, rid: str) -> dict[str, Any]:
        assert self.document is not None, self.output[-3000:]
        return next(r for r in self.document["requirements"] if r["id"] == rid)


def start_gateway(mock_url: str, implementation: str | None = None) -> ManagedServer:
    args = ["gateway", "--port", "{port}", "--deployment", f"mock={mock_url}"]
    if implementation:
        args += ["--implementation", implementation]
    return ManagedServer(python_command("conformance", *args), name=implementation or "reference").start()


@pytest.fixture
def gateway_for(mock_url: str) -> Iterator[Callable[[str | None], str]]:
    """gateway_for(None | "module:Class") -> the inference base URL of a fresh gateway."""
    started: list[ManagedServer] = []

    def start(implementation: str | None = None) -> str:
        server = start_gateway(mock_url, implementation)
        started.append(server)
        return f"{server.url}/mock"

    yield start
    for server in started:
        server.stop()


def stop_process(process: subprocess.Popen) -> None:
    """End a child and everything it started (it runs in its own session)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=10)


def load_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "conformance", "load", *args]


def spawn(argv: list[str], log: Path) -> subprocess.Popen:
    handle = open(log, "wb")
    try:
        return subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    finally:
        handle.close()


def finish(process: subprocess.Popen, log: Path, json_path: Path) -> LoadRun:
    try:
        code = process.wait(timeout=RUN_TIMEOUT)
    finally:
        stop_process(process)
    document = json.loads(json_path.read_text()) if json_path.exists() else None
    return LoadRun(code, document, log.read_text(errors="replace"))


@pytest.fixture
def run_load(tmp_path: Path) -> Callable[..., LoadRun]:
    """run_load(*args) -> LoadRun: `conformance load ARGS --json FILE`, waited for (bounded)."""
    counter = iter(range(1000))

    def run(*args: str) -> LoadRun:
        index = next(counter)
        json_path, log = tmp_path / f"load{index}.json", tmp_path / f"load{index}.log"
        process = spawn(load_command(*args, "--json", str(json_path)), log)
        return finish(process, log, json_path)

    return run
