"""Issue #14, item 6: a proxy named in the environment never sees the suite's traffic (nor its headers).

CI machines often set HTTP_PROXY; an httpx client honours it by default, so
the run's requests, `Authorization` included, would leave through it. Here
the proxy variables point at tests/hostile/capture.py, which writes down
whatever reaches it: a gateway run (recording clients, the pre-flight, the
launcher's health probes), a container run (its readiness probe) and a
load run (Locust's users, the settling client, the journal reader) must
reach their targets directly and leave it nothing.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import main
from tests.hostile.capture import Capture, capture_server
from tests.load.conftest import RUN_TIMEOUT, load_command, stop_process

VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
HEADER = "Authorization: Bearer through-the-proxy-1b7e"


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Capture]:
    with capture_server() as capture:
        for name in VARIABLES:
            monkeypatch.setenv(name, capture.url)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        yield capture


def test_a_gateway_run_ignores_the_proxy_of_the_environment(proxy: Capture, tmp_path: Path) -> None:
    report = tmp_path / "run.json"
    result = CliRunner().invoke(main, ["run", "-k", "GW-ASYNC-01", "-k", "GW-STATUS-01", "-H", HEADER,
                                       "--json", str(report)])
    assert proxy.requests == [], [seen.path for seen in proxy.requests]
    assert result.exit_code == 0, result.output


def test_a_container_run_ignores_the_proxy_of_the_environment(proxy: Capture, mock_url: str) -> None:
    result = CliRunner().invoke(main, ["container", "--url", mock_url, "-k", "CT-SYNC-01", "-H", HEADER])
    assert proxy.requests == [], [seen.path for seen in proxy.requests]
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_a_load_run_ignores_the_proxy_of_the_environment(proxy: Capture, tmp_path: Path) -> None:
    report = tmp_path / "load.json"
    argv = load_command("--duration", "3s", "--users", "2", "--spawn-rate", "2", "--delay", "0.2", "-H", HEADER,
                        "--json", str(report))
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        output, _ = process.communicate(timeout=RUN_TIMEOUT)
    finally:
        stop_process(process)
    assert proxy.requests == [], [seen.path for seen in proxy.requests]
    assert process.returncode == 0, output.decode(errors="replace")[-3000:]
    assert json.loads(report.read_text())["summary"]["exit_code"] == 0
