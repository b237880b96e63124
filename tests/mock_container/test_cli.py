"""The command line: flags, MOCK_* environment variables, a TOML file, --help."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import httpx
import pytest

from conformance.runs.launcher import ManagedServer, python_command
from tests.mock_container.helpers import assert_invalid

FLAGS = ["--host", "--port", "--max-delay", "--journal-size", "--journal-bytes", "--body-keep", "--max-body",
         "--max-response", "--max-header-bytes", "--inflight-bytes", "--webhook-bytes", "--task-bytes",
         "--scenario-bytes", "--capacity", "--over-capacity", "--ready-after", "--webhook-allow", "--webhook-timeout",
         "--log-level", "--config"]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(python_command("mock_container", *args), capture_output=True, text=True, timeout=30,
                          env={**os.environ, **(env or {})})


def test_help_shows_every_flag_and_its_environment_variable():
    result = run_cli("--help")
    assert result.returncode == 0
    for flag in FLAGS:
        assert flag in result.stdout
        assert "MOCK_" + flag[2:].upper().replace("-", "_") in result.stdout


def test_console_script_is_installed():
    script = shutil.which("mock-container", path=os.path.dirname(sys.executable))
    assert script is not None
    assert subprocess.run([script, "--help"], capture_output=True, timeout=30).returncode == 0


@pytest.mark.parametrize("args, message", [
    (["--port", "0"], "--port"), (["--over-capacity", "drop"], "--over-capacity"),
    (["--max-delay", "-1"], "--max-delay"), (["--config", "/nonexistent/mock.toml"], "cannot read"),
    (["--max-body", "2000", "--inflight-bytes", "1000"], "inflight_bytes"), (["--task-bytes", "0"], "--task-bytes"),
])
def test_bad_flags_exit_2_with_a_message(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_toml_key_is_named(tmp_path):
    config = tmp_path / "mock.toml"
    config.write_text("max-dealy = 3\n")
    result = run_cli("--config", str(config))
    assert result.returncode == 2
    assert "max-dealy" in result.stderr


def start(*args: str, env: dict[str, str] | None = None) -> ManagedServer:
    return ManagedServer(python_command("mock_container", "--port", "{port}", *args), name="mock-cli",
                         env=env).start()


def test_file_then_environment_then_flags(tmp_path):
    config = tmp_path / "mock.toml"
    config.write_text('max-delay = 1.0\nbody_keep = 4\nwebhook-allow = ["127.0.0.1"]\n')
    env = {"MOCK_BODY_KEEP": "8"}
    server = start("--config", str(config), "--max-body", "50", env=env)
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            assert_invalid(client.get("/", headers={"X-Mock-Delay": "1.5"}), "delay")  # from the file
            echo = client.post("/", content=b"0123456789").json()
            assert echo["body_truncated"] and len(echo["body_base64"]) == 12  # 8 bytes: env beats file
            assert client.post("/", content=b"x" * 51).status_code == 413  # the flag
            assert_invalid(client.get("/", headers={"X-Mock-Webhook-Url": "http://localhost/x"}), "webhook-url")
    finally:
        server.stop()


def test_environment_sets_the_allowlist():
    server = start(env={"MOCK_WEBHOOK_ALLOW": "127.0.0.1,10.0.0.0/8 hooks.internal"})
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            # Registering checks the target without calling it (no traffic leaves loopback).
            for allowed in ("http://10.1.2.3/x", "http://hooks.internal/x", "http://127.0.0.1/x"):
                assert client.put("/_mock/scenarios/ok", json={"webhook-url": allowed}).status_code in (200, 201)
            for refused in ("http://[::1]/x", "http://localhost/x", "http://11.0.0.1/x"):
                assert_invalid(client.put("/_mock/scenarios/no", json={"webhook-url": refused}), "webhook-url")
    finally:
        server.stop()


def test_binds_loopback_by_default(mock_server):
    import psutil

    listening = [c.laddr for c in psutil.net_connections("inet") if c.status == psutil.CONN_LISTEN
                 and c.laddr.port == mock_server.port]
    assert listening and all(address.ip == "127.0.0.1" for address in listening)
