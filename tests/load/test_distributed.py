"""Locust's distributed mode: one master and two worker processes give the
same verdicts as one process, from what the workers report plus the journal."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.runs.launcher import free_port

from .conftest import SHORT, finish, load_command, spawn, stop_process

pytestmark = pytest.mark.slow  # seconds of real load per test

CASES = {
    "reference": (None, dict.fromkeys(["GW-LOAD-01", "GW-RESULT-05", "GW-PROXY-05", "GW-LOAD-02"], "passed")),
    "duplicate": ("tests.mutants.load.duplicate_proxy_delivery:DuplicateProxyDeliveryGateway",
                  {"GW-LOAD-01": "failed", "GW-RESULT-05": "passed", "GW-PROXY-05": "passed", "GW-LOAD-02": "passed"}),
}


@pytest.mark.parametrize("case", CASES)
def test_master_with_two_workers_gives_the_single_process_verdicts(case, gateway_for, mock_url, tmp_path: Path) -> None:
    implementation, expected = CASES[case]
    gateway = gateway_for(implementation)
    port = free_port()
    json_path, log = tmp_path / "master.json", tmp_path / "master.log"
    master = spawn(load_command("--master", "--expect-workers", "2", "--master-port", str(port), "--workers-wait", "60",
                                "--gateway", gateway, "--container-url", mock_url, *SHORT,
                                "--mix", "async=30,proxy=40,container=10,sync=20", "--json", str(json_path)), log)
    workers = [spawn(load_command("--worker", "--master-host", "127.0.0.1", "--master-port", str(port)),
                     tmp_path / f"worker{i}.log") for i in range(2)]
    try:
        run = finish(master, log, json_path)
        for worker in workers:  # the master's quit message ends them
            worker.wait(timeout=30)
    finally:
        for worker in workers:
            stop_process(worker)
    assert run.outcomes() == expected, run.output[-3000:]
    assert run.code == (0 if case == "reference" else 1)
    processes = run.requirement("GW-LOAD-01")["data"]["load_processes"]
    # both workers ran users and their tallies reached the master
    assert len(processes) == 2 and all(count > 0 for count in processes.values()), processes
    assert run.document["parameters"]["workers"] == 2
    assert [w.returncode for w in workers] == [0, 0]
