"""CT-MODES-01: the example containers (and the mock playing others) behind the embedded reference gateway.

Each run is `conformance container ... --through-gateway -k CT-MODES`: the
container is started by the run (--container-cmd) or is the session's
mock container, configured by the `mock` object of the sample body.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path

import pytest

from tests.container.conftest import ROOT
from tests.container.runner import Outcome, Run, run_all

pytestmark = pytest.mark.slow

PYTHON = shlex.quote(sys.executable)
MODES_ONLY = ["--through-gateway", "-k", "CT-MODES"]
ALL_WORK = {"sync": "works", "respond-async": "works", "respond-async-proxy": "works",
            "respond-async-container": "works"}


def example(name: str) -> list[str]:
    return ["--container-cmd", f"{PYTHON} examples/{name}.py --port {{port}}"]


@pytest.fixture(scope="module")
def runs(mock_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    planned = [
        Run("sync_example", [*example("sync_container"), *MODES_ONLY]),
        Run("webhook_example", [*example("webhook_container"), "--supports", "fire-and-forget", "--webhook-field",
                                "webhook_url", *MODES_ONLY], json.dumps({"prompt": "hello"})),
        Run("whisper_example", [*example("whisper_container"), "--container-env", "WEBHOOK={sink_url}", "--path",
                                "/generate_webhook", "--supports", "fire-and-forget", *MODES_ONLY],
            Path("examples/whisper_sample.json").read_text()),
        # answers respond-async with a task id of its own; its synchronous echo differs every time (seq, time)
        Run("task_id_mock", ["--url", mock_url, "--supports", "task-id", *MODES_ONLY],
            json.dumps({"prompt": "hi", "mock": {"async": "task-id"}})),
        # every answer takes 1.5 s: the stored result is not Completed within T_done = 1 s
        Run("slow_mock", ["--url", mock_url, "--t-done", "1", *MODES_ONLY],
            json.dumps({"prompt": "hi", "mock": {"delay": 1.5}})),
        Run("no_gateway", ["--url", mock_url, "-k", "CT-MODES"]),
    ]
    return run_all(planned, tmp_path_factory.mktemp("modes"))


def modes(run: Outcome) -> dict[str, str]:
    return run.requirement("CT-MODES-01")["data"]["modes"]


def evidence(run: Outcome, mode: str) -> str:
    return run.requirement("CT-MODES-01")["data"]["evidence"][mode]


def test_the_synchronous_example_works_in_the_two_modes_it_is_for(runs: dict[str, Outcome]) -> None:
    run = runs["sync_example"]
    assert run.returncode == 0, run.output
    assert run.outcomes == {"CT-MODES-01": "observed"}
    assert modes(run) == {"sync": "works", "respond-async": "works", "respond-async-proxy": "not declared",
                          "respond-async-container": "not declared"}
    assert run.requirement("CT-MODES-01")["observed"] == \
        "works: sync, respond-async; not declared: respond-async-proxy, respond-async-container"
    assert "came back as the container answers directly, byte for byte" in evidence(run, "sync")
    assert "the stored result equals the direct answer (200, application/json)" in evidence(run, "respond-async")


@pytest.mark.parametrize("name", ["webhook_example", "whisper_example"])
def test_the_webhook_examples_work_in_all_four_modes(runs: dict[str, Outcome], name: str) -> None:
    run = runs[name]
    assert run.returncode == 0, run.output
    assert modes(run) == ALL_WORK
    assert "the container then called its webhook (POST" in evidence(run, "respond-async-proxy")
    assert 'came back: 202 (application/json, 21 bytes) {"status":"accepted"}' in evidence(run, "respond-async-container")
    assert "gateway modes behind the reference gateway (CT-MODES-01):" in run.output


def test_each_mode_lists_its_exchanges(runs: dict[str, Outcome]) -> None:
    run = runs["webhook_example"]
    record = run.document["checks"][0]
    by_seq = {e["seq"]: e for e in record["exchanges"]}
    for mode, seqs in run.requirement("CT-MODES-01")["data"]["exchanges"].items():
        assert seqs and all(by_seq[seq]["case"] == mode for seq in seqs), mode
    proxy = [by_seq[seq] for seq in run.requirement("CT-MODES-01")["data"]["exchanges"]["respond-async-proxy"]]
    assert {e["target"] for e in proxy} == {"gateway", "sink"}


def test_a_container_with_its_own_ids_and_answers_that_differ_each_time(runs: dict[str, Outcome]) -> None:
    run = runs["task_id_mock"]
    assert modes(run) == {"sync": "works", "respond-async": "works", "respond-async-proxy": "not declared",
                          "respond-async-container": "works"}, run.output
    assert "the body differs: the container answers the same request differently each time" in evidence(run, "sync")
    assert '"task_id"' in evidence(run, "respond-async-container")


def test_a_mode_that_does_not_work_says_what_happened(runs: dict[str, Outcome]) -> None:
    run = runs["slow_mock"]
    assert run.returncode == 0, run.output  # INFO: never fails a run
    assert modes(run)["sync"] == "works" and modes(run)["respond-async"] == "does not"
    assert "was not Completed within T_done = 1 s" in evidence(run, "respond-async")
    assert "does not: respond-async" in run.requirement("CT-MODES-01")["observed"]


def test_without_through_gateway_the_modes_are_not_observed(runs: dict[str, Outcome]) -> None:
    run = runs["no_gateway"]
    assert run.outcomes == {"CT-MODES-01": "skipped"}
    assert run.requirement("CT-MODES-01")["reason"].startswith("not observed: pass --through-gateway")


def test_the_readme_table_says_what_the_examples_do(runs: dict[str, Outcome]) -> None:
    rows = dict(re.findall(r"^\| `(\w+)\.py`[^|]*\| (.+?) \|$", (ROOT / "README.md").read_text(), re.M))
    for name in ("sync", "webhook", "whisper"):
        observed = runs[f"{name}_example"].requirement("CT-MODES-01")["observed"]
        assert rows[f"{name}_container"] == observed, name
