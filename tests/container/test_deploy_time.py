"""Containers the suite starts (--container-cmd) whose webhook URL is fixed when they start (issue #17).

The tutorial-shaped example and copies of it with one break each
(tests/container/fixtures/whisper.py), judged by `conformance container`
as a user runs it; plus the same example started by hand with a fixed
--sink-port, and commands that never start or never answer (exit 2,
quoting their output).
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.runs.launcher import ManagedServer, free_port
from tests.container.runner import Outcome, Run, run_all

pytestmark = pytest.mark.slow

SAMPLE = json.dumps({"url": "https://example.com/audio/interview.mp3"})
PYTHON = shlex.quote(sys.executable)
DEPLOY_TIME = ["--container-env", "WEBHOOK={sink_url}", "--path", "/generate_webhook", "--supports", "fire-and-forget"]


def fixture_cmd(name: str) -> list[str]:
    return ["--container-cmd", f"{PYTHON} -m uvicorn tests.container.fixtures.whisper:{name} --port {{port}}"]


def whisper(name: str, *extra: str) -> Run:
    return Run(name, [*fixture_cmd(name), *DEPLOY_TIME, *extra], SAMPLE)


def reasons(run: Outcome, rid: str) -> str:
    return " ".join(f["reason"] for f in run.requirement(rid)["failures"])


@pytest.fixture(scope="module")
def by_hand() -> Iterator[dict[str, int]]:
    """The example started by hand, told sink URLs on fixed ports: the right one, and one with a wrong path."""
    ports = {"right": free_port(), "wrong path": free_port()}
    hooks = {"right": f"http://127.0.0.1:{ports['right']}/_mock/webhooks/container",
             "wrong path": f"http://127.0.0.1:{ports['wrong path']}/hook"}
    servers = {name: ManagedServer([sys.executable, "examples/whisper_container.py", "--port", "{port}"],
                                   name=f"whisper-{name}", env={"WEBHOOK": hook}) for name, hook in hooks.items()}
    for server in servers.values():
        server.start()
    try:
        yield {**{f"{name} sink": port for name, port in ports.items()},
               **{f"{name} container": server.port for name, server in servers.items()}}
    finally:
        for server in servers.values():
            server.stop()


@pytest.fixture(scope="module")
def runs(by_hand: dict[str, int], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    folder = tmp_path_factory.mktemp("deploy-time")
    pid_file = folder / "sleeper.pid"
    never_answers = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); print('listening on 9', " \
                    "flush=True); time.sleep(60)"
    manual = ["--path", "/generate_webhook", "--supports", "fire-and-forget"]
    planned = [
        whisper("never_calls", "--t-done", "1.5", "--through-gateway"),
        whisper("calls_twice", "--t-done", "1.5"),
        whisper("calls_at_start", "--t-done", "1.5"),
        whisper("example", "--strict", "--through-gateway"),
        whisper("crashes_on_bad_json", "--strict"),
        Run("never_starts", ["--container-cmd", f"{PYTHON} -c 'print(\"loading the model\"); "
                             f"raise SystemExit(\"no GPU found\")'"]),
        Run("never_answers", ["--container-cmd", f"{PYTHON} -c {shlex.quote(never_answers)}", "--ready-timeout", "1"]),
        Run("by_hand", ["--url", f"http://127.0.0.1:{by_hand['right container']}", "--sink-port",
                        str(by_hand["right sink"]), *manual, "--strict"], SAMPLE),
        Run("wrong_path", ["--url", f"http://127.0.0.1:{by_hand['wrong path container']}", "--sink-port",
                           str(by_hand["wrong path sink"]), *manual, "--t-done", "1"], SAMPLE),
    ]
    done = run_all(planned, folder)
    done["pid"] = pid_file  # type: ignore[assignment]
    return done


def test_the_tutorial_shaped_container_passes_with_one_command(runs: dict[str, Outcome]) -> None:
    run = runs["example"]
    assert run.returncode == 0, run.output
    assert run.outcomes == {"CT-HEALTH-01": "passed", "CT-SYNC-01": "passed", "CT-SYNC-02": "passed",
                            "CT-ASYNC-01": "passed", "CT-ASYNC-02": "skipped", "CT-ROBUST-01": "passed",
                            "CT-MODES-01": "observed"}, run.output
    webhook = run.requirement("CT-ASYNC-01")
    assert webhook["data"]["webhook_target"] == "deploy-time"
    # 7 earlier requests to /generate_webhook were answered 202 (CT-SYNC-01, CT-SYNC-02): this call is the 8th
    assert "matched by order: call 8 to the sink, for accepted request 8" in " ".join(webhook["notes"])
    assert "the container must call http://127.0.0.1:" in run.output and "/_mock/webhooks/container" in run.output
    assert run.document["target"]["gateway_cmd"].endswith("tests.container.fixtures.whisper:example --port {port}")
    assert run.document["target"]["cmd_output"] is None  # a passing run keeps no output
    modes = run.requirement("CT-MODES-01")["data"]["modes"]
    assert modes == {"sync": "works", "respond-async": "works", "respond-async-proxy": "works",
                     "respond-async-container": "works"}


def test_a_copy_that_acks_but_never_calls_fails_ct_async_01(runs: dict[str, Outcome]) -> None:
    run = runs["never_calls"]
    assert run.returncode == 1, run.output
    assert run.outcomes["CT-ASYNC-01"] == "failed" and run.outcomes["CT-SYNC-01"] == "passed"
    assert "[webhook] no call reached the webhook URL it was started with (http://127.0.0.1:" in reasons(run, "CT-ASYNC-01")
    assert "/_mock/webhooks/container) within T_done = 1.5 s of the ack" in reasons(run, "CT-ASYNC-01")
    mode = run.requirement("CT-MODES-01")["data"]
    assert mode["modes"]["respond-async-proxy"] == "does not"
    assert "the gateway answered 202, but no webhook call reached" in mode["evidence"]["respond-async-proxy"]
    assert mode["modes"]["sync"] == "works" and mode["modes"]["respond-async-container"] == "works"
    assert "| " in run.output and run.document["target"]["cmd_output"] is not None  # a failed run keeps the output


@pytest.mark.parametrize("name", ["calls_twice", "calls_at_start"])
def test_more_calls_than_accepted_requests_fail_ct_async_01(runs: dict[str, Outcome], name: str) -> None:
    """A second call for one request, or a call for none: matched by order, no receiver could tell."""
    run = runs[name]
    assert run.returncode == 1, run.output
    assert run.outcomes["CT-ASYNC-01"] == "failed"
    assert "a receiver of a deploy-time webhook cannot" in reasons(run, "CT-ASYNC-01")
    assert "internal error" not in run.output


def test_a_container_that_crashes_during_the_run_leaves_its_output_in_the_report(runs: dict[str, Outcome]) -> None:
    run = runs["crashes_on_bad_json"]
    assert run.returncode == 1, run.output  # --strict: CT-ROBUST-01 (no answer to invalid JSON) fails the run
    assert run.outcomes["CT-ROBUST-01"] == "failed" and run.outcomes["CT-ASYNC-01"] == "passed"
    kept = run.document["target"]["cmd_output"]
    assert kept.startswith("(the container exited with code 3 during the run)\n")
    assert "fatal: cannot parse request body" in kept
    assert "the container's last output lines (--container-cmd):" in run.output
    assert "  | fatal: cannot parse request body" in run.output


def test_a_command_that_never_starts_exits_2_with_its_last_output_lines(runs: dict[str, Outcome]) -> None:
    run = runs["never_starts"]
    assert run.returncode == 2 and run.document == {}
    output = " ".join(run.output.split())
    assert "the container command exited with code 1 before its health route answered" in output
    assert "its last output lines: | loading the model | no GPU found" in output


def test_a_command_that_never_answers_exits_2_and_is_stopped(runs: dict[str, Outcome]) -> None:
    run = runs["never_answers"]
    assert run.returncode == 2
    output = " ".join(run.output.split())
    assert "the container the suite started does not answer" in output and "failed for 1 s (--ready-timeout)" in output
    assert "does it listen on {port} (--url)? its last output lines: | listening on 9" in output
    pid = int(Path(runs["pid"]).read_text())  # type: ignore[arg-type]
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_container_started_by_hand_with_the_url_the_console_gives(runs: dict[str, Outcome]) -> None:
    run = runs["by_hand"]
    assert run.returncode == 0, run.output
    assert run.outcomes["CT-ASYNC-01"] == "passed"


def test_a_container_told_a_wrong_path_is_pointed_at_it(runs: dict[str, Outcome]) -> None:
    run = runs["wrong_path"]
    assert run.returncode == 1, run.output
    why = reasons(run, "CT-ASYNC-01")
    assert "no call reached the webhook URL it was started with" in why
    assert "/_mock/webhooks/ instead, e.g. POST /hook" in why
