"""docs/ci.md's adoption walkthrough, run as written: record a baseline on a gateway that fails today, gate on
it, then a fix lands and the stale rule makes the change clean the file.

"Today" is a mutant gateway whose 202 has no Location (GW-ASYNC-04 fails);
"the fix" is the reference gateway. The docs' commands run the whole suite;
here CONFORMANCE_SELECT keeps them to two IDs (the commands are unchanged).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.judge.selection import load_expected_failures
from conformance.runs.launcher import ManagedServer, python_command

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "ci.md"
#: four runs and a report, each a fresh process
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
QUICK = {"CONFORMANCE_SELECT": "GW-ASYNC-04 GW-PREF-02", "CONFORMANCE_EXAMPLES": "3"}


def block(name: str) -> str:
    text = DOCS.read_text()
    return text.split(f"<!-- ci-walkthrough: {name} -->", 1)[1].split("```sh", 1)[1].split("```", 1)[0]


@pytest.fixture(scope="module")
def gateways(mock_url: str) -> Iterator[dict[str, str]]:
    servers = {
        "today": ManagedServer(python_command("conformance", "gateway", "--port", "{port}", "--deployment",
                                              f"mock={mock_url}", "--implementation",
                                              "tests.mutants.async_.accept_without_location:Gateway"), name="failing-today"),
        "fixed": ManagedServer(python_command("conformance", "gateway", "--port", "{port}", "--deployment",
                                              f"mock={mock_url}"), name="fixed"),
    }
    try:
        yield {name: f"{server.start().url}/mock" for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()


def run(name: str, folder: Path, gateway: str, mock_url: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(folder), "GATEWAY": gateway,
           "MOCK": mock_url, **QUICK}
    return subprocess.run(["bash", "-eo", "pipefail", "-c", block(name)], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=240, stdin=subprocess.DEVNULL)


def test_record_gate_and_clean_as_the_docs_say(gateways: dict[str, str], mock_url: str, tmp_path: Path) -> None:
    recorded = run("record", tmp_path, gateways["today"], mock_url)
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    baseline = tmp_path / "conformance" / "expected-failures.yml"
    entries = load_expected_failures(baseline)
    assert list(entries) == ["GW-ASYNC-04"] and entries["GW-ASYNC-04"].startswith("MUST: ")
    assert "# Expected failures recorded from first.json" in baseline.read_text()

    gated = run("gate", tmp_path, gateways["today"], mock_url)
    assert gated.returncode == 0, gated.stdout + gated.stderr
    assert "failed (expected)" in gated.stdout and (tmp_path / "summary.md").is_file()

    fixed = run("gate", tmp_path, gateways["fixed"], mock_url)
    assert fixed.returncode == 1
    assert "GW-ASYNC-04 now passes: remove it from conformance/expected-failures.yml" in " ".join(fixed.stdout.split())

    cleaned = run("clean", tmp_path, gateways["fixed"], mock_url)
    assert cleaned.returncode == 0, cleaned.stdout + cleaned.stderr
    assert list(load_expected_failures(baseline)) == []
