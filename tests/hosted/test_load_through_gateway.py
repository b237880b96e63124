"""`conformance load` against a hosted gateway: the mock's journal and sink read through the gateway,
the key carried to every Locust process without appearing on any command line."""

from __future__ import annotations

import json
import os
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from conformance.runs.launcher import free_port
from tests.conftest import start_mock
from tests.load.conftest import SHORT, load_command, spawn, stop_process

from .conftest import AUTH, conformance, start_gateway

pytestmark = pytest.mark.slow

LOAD_IDS = ("GW-LOAD-01", "GW-RESULT-05", "GW-PROXY-05", "GW-LOAD-02")


def command_lines_holding(secret: str) -> list[str]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        line = " ".join(process.info.get("cmdline") or ())
        if secret in line:
            found.append(line)
    return found


def wait_watching(process: subprocess.Popen, timeout: float, secret: str) -> list[str]:
    """Wait for `process` to end (bounded), meanwhile noting every command line that holds `secret`."""
    seen: list[str] = []
    waited = 0.0
    while True:
        seen += command_lines_holding(secret)
        try:
            process.wait(timeout=0.2)  # the process's end is the event waited for; the step is the watch's
            return seen
        except subprocess.TimeoutExpired:
            waited += 0.2
            if waited > timeout:
                raise


def test_a_distributed_load_through_the_gateway_passes_and_no_command_line_holds_the_key(
        hosted, tmp_path: Path) -> None:
    key = f"load-key-{secrets.token_hex(8)}"  # this test's own: other tests' runs may hold theirs
    base = hosted(key=key)
    port = free_port()
    json_path = tmp_path / "load.json"
    # the key only in the environment, as CI passes a secret
    with (tmp_path / "master.log").open("wb") as log:
        master = subprocess.Popen(
            load_command("--master", "--expect-workers", "1", "--master-port", str(port), "--workers-wait", "60",
                         "--gateway", f"{base}/mock", *SHORT, "--json", str(json_path)),
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            env={**os.environ, "CONFORMANCE_HEADER": f"Authorization: Bearer {key}"})
    worker = spawn(load_command("--worker", "--master-host", "127.0.0.1", "--master-port", str(port)),
                   tmp_path / "worker.log")
    try:
        holding = wait_watching(master, 120, key)
        worker.wait(timeout=30)
    finally:
        stop_process(master)
        stop_process(worker)
    output = (tmp_path / "master.log").read_text(errors="replace")
    assert master.returncode == 0, output[-3000:]
    assert holding == []
    document = json.loads(json_path.read_text())
    assert {r["id"]: r["outcome"] for r in document["requirements"]} == dict.fromkeys(LOAD_IDS, "passed")
    assert document["target"]["mock_access"] == "through-gateway"
    processes = next(r for r in document["requirements"] if r["id"] == "GW-LOAD-01")["data"]["load_processes"]
    assert len(processes) == 1 and all(count > 0 for count in processes.values())  # the worker sent, with the key
    assert key not in json_path.read_text()


def test_a_load_with_two_replicas_behind_the_deployment_is_not_judged(mock_url: str, servers, tmp_path: Path) -> None:
    second = servers(start_mock(name="replica-2"))
    gateway = servers(start_gateway(f"demo={mock_url},{second.url}"))
    run = conformance("load", "--gateway", f"{gateway.url}/demo", "-H", AUTH, *SHORT, json_path=tmp_path / "l.json")
    assert run.code == 2
    assert "2 replicas of the mock answer behind this deployment" in run.output
    assert run.document is None and "Traceback" not in run.output


def test_a_gateway_command_is_started_with_its_own_mock_and_loaded(tmp_path: Path) -> None:
    command = shlex.join([sys.executable, "-m", "conformance", "gateway"]) + " --port {port} --deployment mock={container_url}"
    run = conformance("load", "--gateway-cmd", command, *SHORT, json_path=tmp_path / "l.json")
    assert run.code == 0, run.output[-3000:]
    assert run.outcomes() == dict.fromkeys(LOAD_IDS, "passed")
    assert run.document["target"]["mode"] == "gateway-cmd"
