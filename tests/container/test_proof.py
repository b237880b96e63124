"""The proof of container mode: good containers pass, each broken one fails the ID it breaks, and nothing else.

The mock container plays most of them, configured by the `mock` object of
the sample body (the body channel, docs/mock-container.md), which it reads
on every sample request the suite sends; it is told the sink's URL in
`X-Mock-Webhook-Url`. What it cannot be (a container that answers
differently by Prefer value or by body validity) is a small broken
container in tests/container/fixtures/. Malformed-input requests carry no
`mock` object, so the mock answers them with its 200 echo: every mock
configuration fails CT-ROBUST-01, a SHOULD, which shows here too.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conformance.reports.json_report import schema
from tests.container.runner import Outcome, Run, run_all

pytestmark = pytest.mark.slow

HOOK = ["--webhook-header", "X-Mock-Webhook-Url"]
ROBUST_MOCK = "failed"  # the mock echoes any body with 200 (see the module docstring)


def mock_body(**fields: object) -> str:
    return json.dumps({"prompt": "hello", "mock": fields})


#: name -> (container, arguments, sample body, exit code, outcome of every CT ID)
CASES: dict[str, tuple[str, list[str], str | None, int, dict[str, str]]] = {
    "good sync container": (
        "mock", [], None, 0,
        {"CT-HEALTH-01": "passed", "CT-SYNC-01": "passed", "CT-SYNC-02": "passed", "CT-ASYNC-01": "skipped",
         "CT-ASYNC-02": "skipped", "CT-ROBUST-01": ROBUST_MOCK}),
    "good fire-and-forget container": (
        "mock", ["--supports", "fire-and-forget", *HOOK], mock_body(**{"async": "ack", "delay": 0.1}), 0,
        {"CT-HEALTH-01": "passed", "CT-SYNC-01": "passed", "CT-SYNC-02": "passed", "CT-ASYNC-01": "passed",
         "CT-ASYNC-02": "skipped", "CT-ROBUST-01": ROBUST_MOCK}),
    "good id-returning container": (
        "mock", ["--supports", "task-id"], mock_body(**{"async": "task-id", "delay": 0.1}), 0,
        {"CT-HEALTH-01": "passed", "CT-SYNC-01": "passed", "CT-SYNC-02": "passed", "CT-ASYNC-01": "skipped",
         "CT-ASYNC-02": "passed", "CT-ROBUST-01": ROBUST_MOCK}),
    "good container of both styles": (
        "mock", ["--supports", "fire-and-forget,task-id", *HOOK], mock_body(**{"async": "task-id"}), 0,
        {"CT-HEALTH-01": "passed", "CT-SYNC-01": "passed", "CT-SYNC-02": "passed", "CT-ASYNC-01": "passed",
         "CT-ASYNC-02": "passed", "CT-ROBUST-01": ROBUST_MOCK}),
    # a 202 that takes 0.6 s (the mock's delay is never shorter than asked) against T_accept = 0.3 s
    "slow ack": (
        "mock", ["--supports", "fire-and-forget", *HOOK, "--t-accept", "0.3"],
        mock_body(status=202, delay=0.6, json={"status": "accepted"}), 1,
        {"CT-HEALTH-01": "passed", "CT-SYNC-01": "passed", "CT-SYNC-02": "passed", "CT-ASYNC-01": "failed",
         "CT-ASYNC-02": "skipped", "CT-ROBUST-01": ROBUST_MOCK}),
    # acks with {"status": "accepted"}: the same answer every time, no id
    "no id": (
        "mock", ["--supports", "task-id"], mock_body(**{"async": "ack"}), 1,
        {"CT-HEALTH-01": "passed", "CT-SYNC-01": "passed", "CT-SYNC-02": "passed", "CT-ASYNC-01": "skipped",
         "CT-ASYNC-02": "failed", "CT-ROBUST-01": ROBUST_MOCK}),
    # acks, but is told the webhook URL in a header it does not read: the call never comes
    "no webhook": (
        "mock", ["--supports", "fire-and-forget", "--webhook-header", "X-Callback-Url", "--t-done", "1.5"],
        mock_body(**{"async": "ack"}), 1,
        {"CT-HEALTH-01": "passed", "CT-SYNC-01": "passed", "CT-SYNC-02": "passed", "CT-ASYNC-01": "failed",
         "CT-ASYNC-02": "skipped", "CT-ROBUST-01": ROBUST_MOCK}),
    "500 on unknown Prefer": (
        "unknown-prefer-500", [], None, 1,
        {"CT-HEALTH-01": "passed", "CT-SYNC-01": "passed", "CT-SYNC-02": "failed", "CT-ASYNC-01": "skipped",
         "CT-ASYNC-02": "skipped", "CT-ROBUST-01": "passed"}),
    "500 on malformed JSON": (
        "malformed-json-500", ["--strict"], None, 1,
        {"CT-HEALTH-01": "passed", "CT-SYNC-01": "passed", "CT-SYNC-02": "passed", "CT-ASYNC-01": "skipped",
         "CT-ASYNC-02": "skipped", "CT-ROBUST-01": "failed"}),
    "health never ready": (
        "never-ready", ["--ready-timeout", "1"], None, 1,
        {"CT-HEALTH-01": "failed", "CT-SYNC-01": "skipped", "CT-SYNC-02": "skipped", "CT-ASYNC-01": "skipped",
         "CT-ASYNC-02": "skipped", "CT-ROBUST-01": "skipped"}),
    "sync example": (
        "sync-example", ["--strict"], None, 0,
        {"CT-HEALTH-01": "passed", "CT-SYNC-01": "passed", "CT-SYNC-02": "passed", "CT-ASYNC-01": "skipped",
         "CT-ASYNC-02": "skipped", "CT-ROBUST-01": "passed"}),
    "webhook example": (
        "webhook-example", ["--strict", "--supports", "fire-and-forget", "--webhook-field", "webhook_url"],
        json.dumps({"prompt": "hello there"}), 0,
        {"CT-HEALTH-01": "passed", "CT-SYNC-01": "passed", "CT-SYNC-02": "passed", "CT-ASYNC-01": "passed",
         "CT-ASYNC-02": "skipped", "CT-ROBUST-01": "passed"}),
}


#: runs that wait longest (every request of "slow ack" takes 0.6 s; "no webhook" waits T_done)
SLOWEST = ("slow ack", "no webhook")


def run_matrix(containers: dict[str, str], folder: Path) -> dict[str, Outcome]:
    planned = {name: Run(f"run{index}", ["--url", containers[target], *args], body)
               for index, (name, (target, args, body, _, _)) in enumerate(CASES.items())}
    order = sorted(planned, key=lambda name: name not in SLOWEST)  # the longest first, the short ones fill in
    done = run_all([planned[name] for name in order], folder)
    return {name: done[planned[name].name] for name in CASES}


def reason(run: Outcome, rid: str) -> str:
    return " ".join(f["reason"] for f in run.requirement(rid)["failures"])


def test_the_proof(containers: dict[str, str], tmp_path: Path, subtests: pytest.Subtests) -> None:
    """One test item (the runs are shared, and xdist must not repeat them per worker); one subtest per claim."""
    runs = run_matrix(containers, tmp_path)
    for case, (_, _, _, exit_code, outcomes) in CASES.items():
        with subtests.test(msg=case):
            run = runs[case]
            assert run.outcomes == {**outcomes, "CT-MODES-01": "skipped"}, run.output  # no --through-gateway here
            assert run.returncode == exit_code, run.output
            assert run.document["target"]["mode"] == "container"
    with subtests.test(msg="failures say what the container did"):
        failures_say_what_the_container_did(runs)
    with subtests.test(msg="passes say what was seen"):
        passes_say_what_was_seen(runs)
    with subtests.test(msg="reports match the shipped schema"):
        reports_match_the_shipped_schema(runs)
    with subtests.test(msg="only container requirements are judged"):
        for run in runs.values():
            assert all(r["id"].startswith("CT-") for r in run.document["requirements"])
            assert all(c["module"] == "container_side" for c in run.document["checks"])


def failures_say_what_the_container_did(runs: dict[str, Outcome]) -> None:
    assert "more than T_accept = 0.3 s" in reason(runs["slow ack"], "CT-ASYNC-01")
    assert "[ack]" in reason(runs["slow ack"], "CT-ASYNC-01")  # the webhook still came: only the ack is late
    assert "no JSON string or number field differs across the 3 answers" in reason(runs["no id"], "CT-ASYNC-02")
    no_hook = reason(runs["no webhook"], "CT-ASYNC-01")
    assert "no call reached the webhook URL it was given (--webhook-header X-Callback-Url)" in no_hook
    assert "answered 500 with Prefer: wait=5 but 200 without Prefer" in reason(runs["500 on unknown Prefer"], "CT-SYNC-02")
    malformed = runs["500 on malformed JSON"]
    assert "invalid JSON (application/json) was answered 500, a server error" in reason(malformed, "CT-ROBUST-01")
    assert malformed.document["summary"]["failed_should"] == ["CT-ROBUST-01"]
    assert malformed.document["summary"]["failed_must"] == []
    never = runs["health never ready"]
    assert "GET /health never answered 200 within --ready-timeout = 1 s" in reason(never, "CT-HEALTH-01")
    assert "503" in never.requirement("CT-HEALTH-01")["failures"][0]["actual"]
    assert "judged by CT-HEALTH-01" in never.requirement("CT-SYNC-01")["reason"]
    assert "was accepted: answered 200" in reason(runs["good sync container"], "CT-ROBUST-01")


def passes_say_what_was_seen(runs: dict[str, Outcome]) -> None:
    assert runs["good id-returning container"].requirement("CT-ASYNC-02")["data"]["identifier_field"] == "task_id"
    fire = runs["good fire-and-forget container"].requirement("CT-ASYNC-01")
    assert fire["data"]["webhook_method"] == "POST" and fire["data"]["ack_latency"] < 1.0
    assert runs["good sync container"].requirement("CT-ASYNC-01")["reason"] == \
        "not declared: --supports does not list fire-and-forget"
    health = runs["sync example"].requirement("CT-HEALTH-01")
    assert health["data"]["probes"] >= 1 and health["reason"].startswith("ready after")
    robust = runs["sync example"].requirement("CT-ROBUST-01")["reason"]
    assert robust == "invalid JSON -> 400, wrong content type -> 415, empty body -> 400; health 200 afterwards"


def reports_match_the_shipped_schema(runs: dict[str, Outcome]) -> None:
    for run in runs.values():
        jsonschema.validate(run.document, schema(), cls=jsonschema.Draft202012Validator)
    targets = {e["target"] for check in runs["good fire-and-forget container"].document["checks"]
               for e in check["exchanges"]}
    assert targets == {"container", "sink"}
    assert "D" not in runs["sync example"].document["parameters"]
