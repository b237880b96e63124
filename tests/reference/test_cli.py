"""`conformance gateway`: flags, environment, errors, and --implementation."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import httpx
import pytest
from click.testing import CliRunner

from conformance.runs.launcher import ManagedServer
from conformance.cli.gateway import ByteSize, gateway

from .harness import poll_status

REPO = Path(__file__).resolve().parents[2]


def test_every_option_is_explained() -> None:
    options = [param for param in gateway.params if isinstance(param, click.Option)]
    assert len(options) >= 18
    for option in options:
        assert option.help and len(option.help) > 15, option.name
    text = CliRunner().invoke(gateway, ["--help"]).output
    for option in options:
        assert option.opts[-1] in text
    assert "testing variants" in text and "CONFORMANCE_GATEWAY_" in text
    assert {o.name: o.default for o in options}["host"] == "127.0.0.1"


def test_python_dash_m_conformance_runs_the_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "conformance", "gateway", "--help"], capture_output=True,
                          text=True, timeout=30, cwd=REPO)
    assert done.returncode == 0 and "--deployment" in done.stdout


@pytest.mark.parametrize(("args", "message"), [
    ([], "Missing option '--deployment'"),
    (["-d", "mock"], "expected NAME=URL"),
    (["-d", "status=http://127.0.0.1:1"], "reserved"),
    (["-d", "a=ftp://127.0.0.1:1"], "http(s)://"),
    (["-d", "a b=http://127.0.0.1:1"], "deployment name"),
    (["-d", "a=http://127.0.0.1:1", "-d", "a=http://127.0.0.1:2"], "configured twice"),
    (["-d", "a=http://x", "--max-body", "lots"], "not a size"),
    (["-d", "a=http://x", "--workers", "0"], "--workers"),
    (["-d", "a=http://x", "--status-encoding", "roman"], "roman"),
    (["-d", "a=http://x", "--implementation", "nocolon"], "module:Class"),
    (["-d", "a=http://x", "--implementation", "no.such.module:X"], "cannot import"),
    (["-d", "a=http://x", "--implementation", "json:loads"], "not a subclass"),
])
def test_bad_settings_are_usage_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(gateway, args)
    assert result.exit_code == 2, result.output
    assert message in result.output


@pytest.mark.parametrize(("text", "size"), [("1048576", 1048576), ("512KiB", 524288), ("16mib", 16 << 20),
                                            ("1GiB", 1 << 30), (" 2 MB ", 2 << 20)])
def test_sizes(text: str, size: int) -> None:
    assert ByteSize().convert(text, None, None) == size


def test_environment_variables_configure_it(client: httpx.Client, mock_url: str,
                                            gateway_factory: Callable[..., ManagedServer]) -> None:
    server = gateway_factory(f"mock={mock_url}", env={"CONFORMANCE_GATEWAY_API_KEY": "from-env",
                                                      "CONFORMANCE_GATEWAY_STATUS_ENCODING": "integers"})
    assert client.post(f"{server.url}/mock/x").status_code == 401
    auth = {"Authorization": "Bearer from-env"}
    accepted = client.post(f"{server.url}/mock/x", headers={**auth, "Prefer": "respond-async"}).json()
    with httpx.Client(headers=auth, timeout=10) as polling:
        assert poll_status(polling, f"{server.url}{accepted['StatusPath']}", accepted["Id"])[-1]["Status"] == 3


def test_implementation_runs_a_subclass(client: httpx.Client, mock_url: str,
                                        gateway_factory: Callable[..., ManagedServer]) -> None:
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    server = gateway_factory(f"mock={mock_url}", args=("--implementation", "tests.reference.variant:PrefixedGateway"),
                             env=env)
    accepted = client.post(f"{server.url}/mock/x", headers={"Prefer": "respond-async"})
    document = accepted.json()
    assert document["Id"].startswith("job_") and accepted.headers["location"] == "/v1/result/mock"
    final = poll_status(client, server.url + document["StatusPath"], document["Id"])[-1]
    assert final == {"Id": document["Id"], "Status": 3, "Error": None, "Deployment": "mock"}
    result = client.get(server.url + document["ResultPath"], headers={"X-Inference-Id": document["Id"]})
    assert result.status_code == 200 and result.json()["path"] == "/x"
