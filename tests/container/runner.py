"""Run `conformance container` as a user would (a child process) and read its exit code and JSON report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: runs at once: enough to keep the test module short, few enough that a 2-core machine
#: answers a respond-async ack well within T_accept while other runs start
PARALLEL_RUNS = 4
#: the repository: runs start fixtures as `tests.container.fixtures...` modules from here
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    name: str
    args: list[str]
    body: str | None = None  # sample body text, written to a file and passed with --body
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    returncode: int
    output: str
    document: dict[str, Any]

    @property
    def outcomes(self) -> dict[str, str]:
        return {r["id"]: r["outcome"] for r in self.document.get("requirements", [])}

    def requirement(self, rid: str) -> dict[str, Any]:
        return next(r for r in self.document["requirements"] if r["id"] == rid)


def conformance_container(run: Run, folder: Path, timeout: float = 60.0) -> Outcome:
    report = folder / f"{run.name}.json"
    args = [sys.executable, "-m", "conformance", "container", *run.args, "--json", str(report)]
    if run.body is not None:
        body = folder / f"{run.name}.body"
        body.write_text(run.body)
        args += ["--body", str(body)]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          env={**_env(), **run.env}, cwd=ROOT)
    document = json.loads(report.read_text()) if report.exists() else {}
    return Outcome(proc.returncode, proc.stdout + proc.stderr, document)


def _env() -> dict[str, str]:
    """This environment without CONFORMANCE_* variables, which would change the runs."""
    return {key: value for key, value in os.environ.items() if not key.startswith("CONFORMANCE_")}


def run_all(runs: list[Run], folder: Path) -> dict[str, Outcome]:
    with ThreadPoolExecutor(PARALLEL_RUNS) as pool:
        futures = {run.name: pool.submit(conformance_container, run, folder) for run in runs}
        return {name: future.result() for name, future in futures.items()}
