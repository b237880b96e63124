"""The composite GitHub Action (action.yml) and the GitLab job of docs/ci.md, run here as their runners would.

The action's `run:` steps run with bash and a fake GITHUB_* environment
(tests/ci/workflow.py) against the reference gateway and mock container
started by the test; its `uses:` steps are not run, their inputs are
checked. The install step really pip-installs this checkout into a fresh
venv; the venv starts with the kit's dependencies importable (as a runner's
cache would leave it), so only the kit itself is built and installed.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.runs.launcher import ManagedServer, python_command
from tests.ci.workflow import Action, ActionRun, base_env, prewarm_venv, python_dir

ROOT = Path(__file__).resolve().parents[2]
ACTION = Action(ROOT / "action.yml")
#: it pip-installs the kit twice (into fresh venvs): minutes on a loaded machine, not the default 120 s
pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]

RUN_STEP = "Run the conformance suite"
#: a few IDs, a few generated examples: enough to exercise every step in seconds
ARGS = "-k GW-ASYNC-03 -k GW-PREF-02 --examples 3"
SECRET = "s3cret-token-value"
#: the runner's pip configuration: build the kit with the hatchling already installed (no isolated build env)
PIP = {"PIP_NO_BUILD_ISOLATION": "0", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


@pytest.fixture(scope="module")
def gateway(mock_url: str) -> Iterator[str]:
    server = ManagedServer(python_command("conformance", "gateway", "--port", "{port}", "--deployment", f"mock={mock_url}"),
                           name="reference-gateway").start()
    yield f"{server.url}/mock"
    server.stop()


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    workspace, temp = tmp_path_factory.mktemp("workspace"), tmp_path_factory.mktemp("runner-temp")
    prewarm_venv(temp / "async-gateway-conformance")
    return {"workspace": workspace, "temp": temp}


@pytest.fixture(scope="module")
def first(gateway: str, mock_url: str, runner: dict[str, Path]) -> ActionRun:
    """The whole action, once: install, run (passing), upload, verdict."""
    return ACTION.run({"gateway-url": gateway, "container-url": mock_url, "args": ARGS,
                       "headers": f"Authorization: Bearer {SECRET}\nX-Team: ci"},
                      workspace=runner["workspace"], temp=runner["temp"], env={**base_env([python_dir()]), **PIP})


def again(inputs: dict[str, str], runner: dict[str, Path], first: ActionRun) -> ActionRun:
    """The steps after the install, reusing its outputs: a second job on the same runner."""
    return ACTION.run(inputs, workspace=runner["workspace"], temp=runner["temp"], env=base_env([python_dir()]),
                      start_at=RUN_STEP, outputs=first.outputs)


def test_the_action_declares_what_the_readme_promises() -> None:
    inputs = ACTION.definition["inputs"]
    assert set(inputs) >= {"gateway-url", "container-url", "headers", "expected-failures", "baseline", "strict", "args"}
    assert [name for name, spec in inputs.items() if spec.get("required")] == ["gateway-url"]
    assert set(ACTION.definition["outputs"]) == {"exit-code", "json", "markdown"}
    assert ACTION.definition["runs"]["using"] == "composite"
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## In CI", 1)[1].split("```yaml", 1)[1].split("```", 1)[0].strip().splitlines()
    assert len(block) == 5 and "uses:" in block[0]
    assert set(yaml.safe_load("\n".join(block))[0]["with"]) <= set(inputs)


def test_a_passing_run_installs_runs_summarises_and_uploads(first: ActionRun, runner: dict[str, Path]) -> None:
    for step in first.steps:
        assert step.returncode == 0, f"{step.name}:\n{step.output[-3000:]}"
    setup = first.step("Set up Python")
    assert setup.uses.startswith("actions/setup-python@") and setup.with_ == {"python-version": "3.11"}
    installed = Path(first.outputs["install"]["conformance"])
    assert installed == runner["temp"] / "async-gateway-conformance" / "bin" / "conformance"
    where = subprocess.run([str(installed.parent / "python"), "-c", "import conformance; print(conformance.__file__)"],
                           cwd=runner["temp"], capture_output=True, text=True, timeout=60, check=True).stdout
    assert where.startswith(str(installed.parent.parent))  # the kit was installed into the venv, not borrowed
    assert first.outputs["run"]["exit-code"] == "0"
    assert first.action_outputs == {"exit-code": "0", "json": "conformance-report/result.json",
                                    "markdown": "conformance-report/summary.md"}
    assert first.summary.startswith("## Conformance PASS")
    reports = runner["workspace"] / "conformance-report"
    assert sorted(p.name for p in reports.iterdir()) == ["junit.xml", "report.html", "result.json", "summary.md"]
    upload = first.step("Upload the reports")
    assert upload.uses.startswith("actions/upload-artifact@")
    assert upload.with_ == {"name": "conformance-report", "path": "conformance-report", "if-no-files-found": "warn"}
    assert "--container-url" in first.step(RUN_STEP).output


def test_headers_come_from_the_input_and_never_reach_a_log_or_a_report(first: ActionRun, runner: dict[str, Path]) -> None:
    reports = runner["workspace"] / "conformance-report"
    document = json.loads((reports / "result.json").read_text())
    sent = [dict(e["request"]["headers"]) for c in document["checks"] for e in c["exchanges"] if e["target"] == "gateway"]
    assert sent and all(h.get("Authorization") == "<redacted>" and h.get("X-Team") == "<redacted>" for h in sent)
    for text in [step.output for step in first.steps] + [p.read_text() for p in reports.iterdir()] + [first.summary]:
        assert SECRET not in text


def test_a_stale_entry_fails_the_job_after_the_reports_are_uploaded(first: ActionRun, gateway: str, mock_url: str,
                                                                    runner: dict[str, Path]) -> None:
    workspace = runner["workspace"]
    (workspace / "conformance").mkdir(exist_ok=True)
    (workspace / "conformance" / "expected-failures.yml").write_text("GW-PREF-02: was broken last month\n")
    baseline = workspace / "baseline.json"
    baseline.write_text((workspace / "conformance-report" / "result.json").read_text())
    run = again({"gateway-url": gateway, "container-url": mock_url, "args": ARGS, "strict": "true",
                 "expected-failures": "conformance/expected-failures.yml", "baseline": "baseline.json"}, runner, first)
    assert run.outputs["run"]["exit-code"] == "1"
    assert run.step(RUN_STEP).returncode == 0  # the run step records the code; the verdict step fails the job
    assert "--strict" in run.step(RUN_STEP).output
    assert run.step("Upload the reports").kind == "uses"
    verdict = run.step("Verdict")
    assert verdict.returncode == 1 and "::error::conformance: failures, stale expected failures" in verdict.output
    assert "GW-PREF-02 now passes: remove it from `conformance/expected-failures.yml`" in run.summary
    assert "### Changes since the baseline: no change" in run.summary and "strict" in run.summary


def test_without_a_container_url_the_flag_is_not_passed(first: ActionRun, gateway: str, runner: dict[str, Path]) -> None:
    run = again({"gateway-url": gateway, "args": ARGS}, runner, first)
    command = next(line for line in run.step(RUN_STEP).output.splitlines() if line.startswith("conformance run "))
    assert "--container-url" not in command and f"--gateway {gateway}" in command
    code = run.outputs["run"]["exit-code"]
    if code == "2":  # not judged (until the suite can reach the mock through the gateway): the summary says so
        assert run.summary.startswith("## Conformance: not judged (exit 2)")
        assert run.step("Verdict").returncode == 2
    else:
        assert run.summary.startswith("## Conformance")


def test_a_bad_strict_value_is_refused(first: ActionRun, gateway: str, runner: dict[str, Path]) -> None:
    run = again({"gateway-url": gateway, "strict": "maybe"}, runner, first)
    step = run.step(RUN_STEP)
    assert step.returncode == 2 and "the strict input is 'true' or 'false', not 'maybe'" in step.output
    assert run.step("Upload the reports").kind == "uses" and run.step("Verdict").kind == "skipped"


def gitlab_job() -> dict[str, Any]:
    docs = (ROOT / "docs" / "ci.md").read_text()
    block = docs.split("<!-- gitlab-job -->", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    return yaml.safe_load(block)["conformance"]


def test_the_gitlab_job_of_the_docs_runs_as_written(gateway: str, mock_url: str, tmp_path: Path) -> None:
    job = gitlab_job()
    project = tmp_path / "project"
    project.mkdir()
    prewarm_venv(project / ".conformance-kit")
    (project / "conformance").mkdir()
    (project / "conformance" / "expected-failures.yml").write_text("GW-PREF-02: fixed since\n")
    # job variables first; project CI/CD variables (KIT where this checkout is, the targets, the masked
    # headers, a quick selection) override them, as in GitLab
    env = {**base_env([python_dir()]), **PIP, **{k: str(v) for k, v in job["variables"].items()},
           "CI_PROJECT_DIR": str(project), "KIT": str(ROOT), "GATEWAY_URL": gateway, "CONTAINER_URL": mock_url,
           "GATEWAY_HEADERS": f"Authorization: Bearer {SECRET}", "CONFORMANCE_SELECT": "GW-ASYNC-03 GW-PREF-02",
           "CONFORMANCE_EXAMPLES": "3"}
    script = "\n".join(job["script"])
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=project, env=env,
                          capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output[-3000:]  # the stale entry fails the job
    assert "GW-PREF-02 now passes: remove it from `conformance/expected-failures.yml`" in output  # the summary, logged
    assert SECRET not in output
    assert job["artifacts"]["when"] == "always"
    for path in job["artifacts"]["paths"]:
        assert (project / path).is_dir() and (project / path / "result.json").is_file()
    junit = project / job["artifacts"]["reports"]["junit"]
    assert re.search(r'<failure message="GW-PREF-02 now passes', junit.read_text())
