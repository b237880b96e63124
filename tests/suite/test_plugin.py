"""The pytest plugin: inert without --gateway, a normal pytest run with it (selection, junitxml)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.runs.launcher import ManagedServer, python_command


def pytest_in(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "conformance.runs.plugin", "-p", "no:cacheprovider", *args],
                          cwd=folder, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def gateway(mock_url: str) -> Iterator[str]:
    server = ManagedServer(python_command("conformance", "gateway", "--port", "{port}", "--deployment", f"mock={mock_url}"),
                           name="reference-gateway").start()
    yield f"{server.url}/mock"
    server.stop()


def test_the_plugin_is_inert_without_gateway(tmp_path: Path) -> None:
    (tmp_path / "test_own.py").write_text("def test_own():\n    assert 1 + 1 == 2\n")
    proc = pytest_in(tmp_path, "-q", "--co")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "test_own.py::test_own" in proc.stdout and "conformance" not in proc.stdout


def test_gateway_without_container_url_reaches_the_mock_through_it(tmp_path: Path) -> None:
    proc = pytest_in(tmp_path, "--gateway", "http://127.0.0.1:9/mock")
    assert proc.returncode == 2
    assert "the gateway at http://127.0.0.1:9/mock (--gateway) does not answer" in proc.stdout + proc.stderr


def test_a_team_runs_the_checks_in_its_own_pytest(tmp_path: Path, gateway: str, mock_url: str) -> None:
    (tmp_path / "test_own.py").write_text("def test_own():\n    pass\n")
    proc = pytest_in(tmp_path, "--gateway", gateway, "--container-url", mock_url, "-k", "GW-CONT or test_own",
                     "--junitxml", "junit.xml", "-rA")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout  # the team's test and the two GW-CONT checks
    junit = (tmp_path / "junit.xml").read_text()
    assert "container_answer_relayed[GW-CONT-01,GW-CONT-02,GW-CONT-04]" in junit
    assert "GW-CONT-03" in junit and "GW-PREF" not in junit
    assert "conformance" in proc.stdout and "MUST: 3 passed, 0 failed" in " ".join(proc.stdout.split())
