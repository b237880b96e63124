"""Run a composite GitHub Action's shell steps here, as a runner would, with a fake GITHUB_* environment.

Only what action.yml uses is understood, and anything else fails loudly so
the action stays testable: `${{ inputs.X }}`, `${{ github.action_path }}`,
`${{ github.workspace }}`, `${{ runner.temp }}`, `${{ steps.ID.outputs.X }}`
in `env`, `with`, `working-directory`; `if: always()`. Each `run:` step runs
as GitHub runs `shell: bash` (`bash --noprofile --norc -eo pipefail`), with
its own GITHUB_OUTPUT file read back into the step's outputs; `uses:` steps
are not run, their evaluated `with:` is kept for the test to check.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Action", "StepResult", "ActionRun", "parse_outputs", "base_env", "prewarm_venv"]

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
STEP_TIMEOUT = 240


@dataclass
class StepResult:
    name: str
    kind: str  # "run", "uses" or "skipped"
    returncode: int = 0
    output: str = ""
    with_: dict[str, str] = field(default_factory=dict)
    uses: str = ""


@dataclass
class ActionRun:
    steps: list[StepResult]
    outputs: dict[str, dict[str, str]]
    summary: str
    action_outputs: dict[str, str]

    def step(self, name: str) -> StepResult:
        return next(step for step in self.steps if step.name == name)

    @property
    def failed(self) -> bool:
        return any(step.returncode != 0 for step in self.steps)


def parse_outputs(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT's two forms: `name=value`, and `name<<DELIMITER` ... `DELIMITER`."""
    outputs: dict[str, str] = {}
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, index + 1)
            outputs[name] = "\n".join(lines[index + 1:end])
            index = end + 1
            continue
        if line:
            name, _, value = line.partition("=")
            outputs[name] = value
        index += 1
    return outputs


class Action:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.definition = yaml.safe_load(path.read_text())

    @property
    def steps(self) -> list[dict[str, Any]]:
        return self.definition["runs"]["steps"]

    def inputs_with_defaults(self, given: dict[str, str]) -> dict[str, str]:
        declared = self.definition["inputs"]
        unknown = set(given) - set(declared)
        assert not unknown, f"not inputs of the action: {unknown}"
        missing = [name for name, spec in declared.items() if spec.get("required") and name not in given]
        assert not missing, f"required inputs missing: {missing}"
        return {name: str(given.get(name, spec.get("default", ""))) for name, spec in declared.items()}

    def run(self, given: dict[str, str], *, workspace: Path, temp: Path, env: dict[str, str],
            start_at: str | None = None, outputs: dict[str, dict[str, str]] | None = None) -> ActionRun:
        """Every step in order (from the step named `start_at`, reusing earlier `outputs`), as a runner would."""
        inputs = self.inputs_with_defaults(given)
        context = {"inputs": inputs, "github": {"action_path": str(self.path.parent), "workspace": str(workspace)},
                   "runner": {"temp": str(temp)}}
        outputs = dict(outputs or {})
        summary_file, output_file = temp / "step_summary.md", temp / "github_output"
        summary_file.write_text("")
        results: list[StepResult] = []
        started = start_at is None
        for spec in self.steps:
            name = spec["name"]
            started = started or name == start_at
            if not started:
                continue
            failed_before = any(r.returncode != 0 for r in results)
            condition = spec.get("if")
            assert condition in (None, "always()"), f"{name}: unsupported if: {condition}"
            if failed_before and condition != "always()":
                results.append(StepResult(name, "skipped"))
                continue
            evaluate = lambda text: self._evaluate(str(text), context, outputs)  # noqa: E731
            if "uses" in spec:
                results.append(StepResult(name, "uses", with_={k: evaluate(v) for k, v in (spec.get("with") or {}).items()},
                                          uses=spec["uses"]))
                continue
            assert spec.get("shell") == "bash", f"{name}: run steps must say shell: bash"
            output_file.write_text("")
            step_env = {**env, "GITHUB_WORKSPACE": str(workspace), "GITHUB_ACTION_PATH": str(self.path.parent),
                        "GITHUB_STEP_SUMMARY": str(summary_file), "GITHUB_OUTPUT": str(output_file),
                        "RUNNER_TEMP": str(temp), **{k: evaluate(v) for k, v in (spec.get("env") or {}).items()}}
            script = temp / f"step-{len(results)}.sh"
            script.write_text(spec["run"])
            cwd = evaluate(spec.get("working-directory", str(workspace)))
            proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=cwd,
                                  env=step_env, capture_output=True, text=True, timeout=STEP_TIMEOUT,
                                  stdin=subprocess.DEVNULL)
            if "id" in spec:
                outputs[spec["id"]] = parse_outputs(output_file.read_text())
            results.append(StepResult(name, "run", proc.returncode, proc.stdout + proc.stderr))
        action_outputs = {name: self._evaluate(spec["value"], context, outputs)
                          for name, spec in self.definition.get("outputs", {}).items()}
        return ActionRun(results, outputs, summary_file.read_text(), action_outputs)

    @staticmethod
    def _evaluate(text: str, context: dict[str, Any], outputs: dict[str, dict[str, str]]) -> str:
        def value(match: re.Match[str]) -> str:
            expression = match.group(1)
            parts = expression.split(".")
            if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
                return outputs.get(parts[1], {}).get(parts[3], "")
            if parts[0] in context and len(parts) == 2 and parts[1] in context[parts[0]]:
                return context[parts[0]][parts[1]]
            raise AssertionError(f"an expression the action may not use (tests/ci/workflow.py): {expression}")

        return EXPRESSION.sub(value, text)


def base_env(path_dirs: list[str]) -> dict[str, str]:
    """A runner's plain environment: PATH and HOME, nothing of the test's own (no CONFORMANCE_* leaks in)."""
    return {"PATH": os.pathsep.join([*path_dirs, "/usr/local/bin", "/usr/bin", "/bin"]), "HOME": os.environ.get("HOME", "/tmp"),
            "LANG": "C.UTF-8", **{k: v for k, v in os.environ.items() if k.startswith("PIP_")}}


def python_dir() -> str:
    """The directory of the Python this test runs on: what actions/setup-python (or the image) puts on PATH."""
    return str(Path(sys._base_executable).parent)  # type: ignore[attr-defined]


def prewarm_venv(path: Path) -> None:
    """A venv where the kit's dependencies are already importable (from the test's own venv), as a runner's
    cache would leave it: the step still creates the venv and pip-installs the kit into it, in seconds."""
    subprocess.run([sys._base_executable, "-m", "venv", str(path)], check=True, timeout=120)  # type: ignore[attr-defined]
    site = subprocess.run([str(path / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True, timeout=60).stdout.strip()
    Path(site, "_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
