"""Fixtures of the hosted-gateway tests: a gateway that requires a key in front of a mock whose
address the suite is never told, and `conformance run` / `conformance load` run as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conformance.runs.launcher import ManagedServer, python_command

KEY = "hosted-key-5f3c9a"
AUTH = f"Authorization: Bearer {KEY}"
#: a whole run of the suite takes ~20 s here; the bound is for a loaded 2-core machine
RUN_TIMEOUT = 300


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    document: dict[str, Any] | None

    @property
    def output(self) -> str:
        return " ".join((self.stdout + self.stderr).split())

    def outcomes(self) -> dict[str, str]:
        assert self.document is not None, f"no JSON report (exit {self.code}):\n{self.stdout}\n{self.stderr}"
        return {r["id"]: r["outcome"] for r in self.document["requirements"]}


def conformance(command: str, *args: str, json_path: Path | None = None, timeout: float = RUN_TIMEOUT) -> Run:
    """`python -m conformance COMMAND ARGS [--json FILE]` in a child process, bounded."""
    argv = [sys.executable, "-m", "conformance", command, *args]
    if json_path is not None:
        argv += ["--json", str(json_path)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    document = json.loads(json_path.read_text()) if json_path is not None and json_path.exists() else None
    return Run(done.returncode, done.stdout, done.stderr, document)


def start_gateway(*deployments: str, implementation: str | None = None, key: str = KEY,
                  options: Sequence[str] = ()) -> ManagedServer:
    """The reference gateway (or a mutant) requiring `key` (given in its environment, as a platform
    would), with NAME=URL[,URL...] deployments."""
    argv = ["gateway", "--port", "{port}", "--container-timeout", "4.5", *options]
    for deployment in deployments:
        argv += ["--deployment", deployment]
    if implementation:
        argv += ["--implementation", implementation]
    return ManagedServer(python_command("conformance", *argv), name=implementation or "keyed-gateway",
                         env={"CONFORMANCE_GATEWAY_API_KEY": key}).start()


@pytest.fixture
def servers() -> Iterator[Callable[[ManagedServer], ManagedServer]]:
    """servers(server) keeps a started server to stop at the end of the test."""
    started: list[ManagedServer] = []

    def keep(server: ManagedServer) -> ManagedServer:
        started.append(server)
        return server

    yield keep
    for server in reversed(started):
        server.stop()


@pytest.fixture
def hosted(mock_url: str, servers) -> Callable[..., str]:  # type: ignore[no-untyped-def]
    """hosted(implementation=None) -> the gateway's base URL, deployments `mock` and `other` in front of
    the session's mock container (whose URL the suite is never given)."""

    def start(implementation: str | None = None, key: str = KEY) -> str:
        return servers(start_gateway(f"mock={mock_url}", f"other={mock_url}", implementation=implementation,
                                     key=key)).url

    return start
