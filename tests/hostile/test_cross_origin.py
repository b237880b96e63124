"""Item 2 of issue #14: the run's headers go to the gateway's origin only, whatever URL the gateway names.

tests/hostile/foreign_routes_gateway.py names StatusPath and ResultPath as
absolute URLs on another origin: tests/hostile/capture.py, a stand-in for
`http://169.254.169.254/`, which writes down every request it gets. Without
`--allow-origin` the suite requests nothing there and fails GW-ASYNC-02
(the accept document names routes a client cannot safely follow), the
checks that need those routes are not judged; with it, the suite follows
them without the run's headers. The load run does the same.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.http.origins import OriginPolicy
from conformance.runs.gateway.run import run_suite
from conformance.runs.launcher import ManagedServer, python_command
from tests.hostile.capture import Capture, capture_server
from tests.load.conftest import RUN_TIMEOUT, load_command, stop_process
from tests.suite.runner import gateway_cmd

GATEWAY = "tests.hostile.foreign_routes_gateway:Gateway"
BEARER = "Bearer cross-origin-bearer-7f3a9c"
HEADERS = [("Authorization", BEARER), ("X-Team-Key", "team-key-42")]
#: the accept, a status lifecycle, a result: every kind of follow-up
SELECT = ["GW-ASYNC-02", "GW-STATUS-01", "GW-RESULT-01"]


def credentials_seen(capture: Capture) -> list[str]:
    return [f"{seen.path}: {name}" for seen in capture.requests for name, _ in seen.headers
            if name.lower() in ("authorization", "x-team-key")]


def suite_run(capture: Capture, monkeypatch: pytest.MonkeyPatch, allow: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HOSTILE_ELSEWHERE", capture.url)

    def relay(target) -> None:  # type: ignore[no-untyped-def]
        capture.forward_to = target.gateway.rsplit("/", 1)[0]  # the gateway's own status and result routes

    return run_suite(gateway_cmd=gateway_cmd(GATEWAY, other=False), headers=HEADERS, select=SELECT,
                     allow_origins=allow, on_target=relay)


def test_routes_on_another_origin_are_not_requested_and_fail_async_02(monkeypatch: pytest.MonkeyPatch) -> None:
    with capture_server() as capture:
        document = suite_run(capture, monkeypatch)
    assert capture.requests == [], f"the suite went to the gateway's other origin: {capture.requests}"
    accept = document.requirement("GW-ASYNC-02")
    assert accept.outcome.value == "failed", accept.reason
    assert f"--allow-origin {capture.host_port}" in accept.reason
    for rid in ("GW-STATUS-01", "GW-RESULT-01"):
        result = document.requirement(rid)
        assert result.outcome.value == "skipped" and "GW-ASYNC-02" in result.reason, (rid, result.reason)
    assert document.summary.exit_code == 1


def test_an_allowed_origin_is_followed_without_the_runs_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    with capture_server() as capture:
        document = suite_run(capture, monkeypatch, allow=(capture.host_port,))
    assert capture.requests, "the allowed origin was never followed"
    assert not credentials_seen(capture), credentials_seen(capture)
    for rid in SELECT:
        assert document.requirement(rid).outcome.value == "passed", (rid, document.requirement(rid).reason)


@pytest.mark.slow
@pytest.mark.parametrize("allow", [False, True], ids=["not-allowed", "allowed"])
def test_the_load_run_keeps_its_headers_on_the_gateways_origin(allow: bool, mock_url: str, tmp_path: Path) -> None:
    with capture_server() as capture:
        gateway = ManagedServer(python_command("conformance", "gateway", "--port", "{port}", "--deployment",
                                               f"mock={mock_url}", "--implementation", GATEWAY),
                                name="foreign-routes", env={"HOSTILE_ELSEWHERE": capture.url}).start()
        try:
            capture.forward_to = gateway.url
            report = tmp_path / "load.json"
            # the base carries userinfo too: Locust would send its Basic credentials to every origin
            base = f"http://user:basic-pass-93@127.0.0.1:{gateway.port}/mock"
            argv = load_command("--gateway", base, "--container-url", mock_url, "--mix", "async=100", "--duration", "3s",
                                "--users", "2", "--spawn-rate", "2", "--delay", "0.2", "-H", f"Authorization: {BEARER}",
                                "-H", "X-Team-Key: team-key-42", "--json", str(report),
                                *(["--allow-origin", capture.host_port] if allow else []))
            process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
            try:
                output, _ = process.communicate(timeout=RUN_TIMEOUT)
            finally:
                stop_process(process)
        finally:
            gateway.stop()
    text = output.decode(errors="replace")
    assert not credentials_seen(capture), credentials_seen(capture)
    document = json.loads(report.read_text())
    load = next(r for r in document["requirements"] if r["id"] == "GW-LOAD-01")
    if allow:
        assert capture.requests, text[-3000:]
        assert load["outcome"] == "passed", load["reason"]
    else:
        assert capture.requests == [], capture.requests
        assert load["outcome"] == "failed" and "--allow-origin" in json.dumps(load), text[-3000:]


@pytest.mark.parametrize(("entry", "url", "follows"), [
    ("127.0.0.1", "http://127.0.0.1:9999/s", True),  # a host alone: any port, any scheme
    ("127.0.0.1:8081", "http://127.0.0.1:8081/s", True),
    ("127.0.0.1:8081", "http://127.0.0.1:8082/s", False),  # another port is another origin
    ("https://gw.example", "https://GW.example:443/s", True),
    ("https://gw.example", "http://gw.example/s", False),  # and so is another scheme
    ("[::1]:8080", "http://[::1]:8080/s", True),
])
def test_allow_origin_entries(entry: str, url: str, follows: bool) -> None:
    policy = OriginPolicy.of(["http://127.0.0.1:8080/mock"], [entry])
    assert policy.may_follow(url) is follows
    assert not policy.is_own(url)  # allowed is never "own": the run's headers stay home


@pytest.mark.parametrize("entry", ["", "http://gw.example/path", "user@gw.example", "gw.example:99999", "ftp://gw"])
def test_a_bad_allow_origin_is_a_usage_error_naming_the_flag(entry: str) -> None:
    result = CliRunner().invoke(main, ["run", "--allow-origin", entry])
    assert result.exit_code == 2 and "--allow-origin" in result.output, result.output
