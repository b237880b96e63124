"""`conformance run --gateway URL -H 'Authorization: Bearer K'` with no --container-url: the mock
container is reached only through the gateway, as on a hosted platform.

The gateway is `conformance gateway --api-key K` in front of a mock whose
address the suite is never told; every request of the run (control
traffic included) must go to the gateway, with the key.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import jsonschema
import pytest

from conformance.checks import all_checks
from conformance.contract import catalogue
from conformance.reports.json_report import schema
from conformance.runs.launcher import ManagedServer, python_command
from tests.conftest import start_mock

from .conftest import AUTH, KEY, conformance, start_gateway

pytestmark = pytest.mark.slow


def test_the_reference_passes_with_its_mock_reached_only_through_it(hosted, mock_url: str, tmp_path: Path) -> None:
    base = hosted()
    run = conformance("run", "--gateway", f"{base}/mock", "--other-gateway", f"{base}/other", "-H", AUTH,
                      json_path=tmp_path / "run.json")
    assert run.code == 0, run.stdout + run.stderr
    checked = {rid for check in all_checks() for rid in check.ids}
    expected = {req.id: ("observed" if req.level.value == "INFO" else "passed")
                for req in catalogue.gateway_requirements() if req.id in checked}
    assert run.outcomes() == expected
    target = run.document["target"]
    assert target["mock_access"] == "through-gateway" and target["container_url"] == f"{base}/mock"
    assert len(target["mock_instances"]) == 1 and target["ready_wait"] is not None
    assert "mock reached through the gateway" in run.output
    exchanges = [e for check in run.document["checks"] for e in check["exchanges"]]
    control = [e for e in exchanges if e["target"] == "mock"]
    assert control and all(e["request"]["url"].startswith(f"{base}/mock/_mock/") for e in control)
    assert all(e["request"]["url"].startswith(base) for e in exchanges)  # nothing went to the mock itself
    assert all(dict(e["request"]["headers"]).get("Authorization") == "<redacted>" for e in control)
    # the webhook URL handed to the mock is its own loopback sink (from /_mock/info), not the gateway
    sink = httpx.get(f"{mock_url}/_mock/info").json()["sink"]
    proxy = next(e for e in exchanges if "mock-webhook-url" in e["request"]["url"])
    hook = parse_qs(urlsplit(proxy["request"]["url"]).query)["mock-webhook-url"][0]
    assert hook.startswith(sink), hook
    assert KEY not in (tmp_path / "run.json").read_text()
    jsonschema.validate(run.document, schema(), cls=jsonschema.Draft202012Validator)


def test_a_mutant_run_the_same_way_fails_by_the_id_it_breaks(hosted, tmp_path: Path) -> None:
    """The webhook of a fire-and-forget job is observed at the mock's own sink, through the gateway:
    a gateway that never delivers fails GW-PROXY-04 there."""
    base = hosted("tests.mutants.proxy.proxy_never_delivered:Gateway")
    run = conformance("run", "--gateway", f"{base}/mock", "-H", AUTH, "-k", "GW-PROXY",
                      json_path=tmp_path / "run.json")
    assert run.code == 1, run.stdout + run.stderr
    outcomes = run.outcomes()
    assert outcomes["GW-PROXY-04"] == "failed" and outcomes["GW-PROXY-01"] == outcomes["GW-PROXY-02"] == "passed"
    assert "GW-PROXY-04" in run.document["summary"]["failed_must"]


def test_two_replicas_behind_the_deployment_exit_2_with_the_replica_message(mock_url: str, servers,
                                                                             tmp_path: Path) -> None:
    second = servers(start_mock(name="replica-2"))
    gateway = servers(start_gateway(f"demo={mock_url},{second.url}"))
    run = conformance("run", "--gateway", f"{gateway.url}/demo", "-H", AUTH, json_path=tmp_path / "run.json")
    assert run.code == 2
    assert ("2 replicas of the mock answer behind this deployment (" in run.output
            and "scale it to exactly one replica for a conformance run" in run.output), run.output
    assert run.document is None and "Traceback" not in run.output


def test_a_second_deployment_may_run_its_own_mock(mock_url: str, servers, tmp_path: Path) -> None:
    """On a hosted platform each deployment has its own container: GW-SEC-01 reads only the second one's
    routes, and its mock is reached through it (ready, one instance, routed) like the first's."""
    elsewhere = servers(start_mock(name="other-mock"))
    gateway = servers(start_gateway(f"mock={mock_url}", f"other={elsewhere.url}"))
    run = conformance("run", "--gateway", f"{gateway.url}/mock", "--other-gateway", f"{gateway.url}/other",
                      "-H", AUTH, "-k", "GW-SEC", json_path=tmp_path / "run.json")
    assert run.code == 0, run.output
    assert run.outcomes() == {"GW-SEC-01": "passed"}


def test_a_second_deployment_with_two_replicas_exits_2_naming_it(mock_url: str, servers) -> None:
    second, third = servers(start_mock(name="replica-2")), servers(start_mock(name="replica-3"))
    gateway = servers(start_gateway(f"mock={mock_url}", f"other={second.url},{third.url}"))
    run = conformance("run", "--gateway", f"{gateway.url}/mock", "--other-gateway", f"{gateway.url}/other",
                      "-H", AUTH)
    assert run.code == 2
    assert f"2 replicas of the mock answer behind this deployment ({gateway.url}/other)" in run.output


def test_an_answer_from_another_instance_during_the_run_is_never_judged(hosted, tmp_path: Path) -> None:
    """A replica that appears (or a mock that restarts) after the pre-flight: the checks that read its
    journal are not judged, and the run exits 2 without a report, never with a verdict on part of it.

    Played through the pytest plugin, which `conformance run` drives: it is told the pre-flight met
    instance `0000`, so every answer of the (only) mock is another instance's."""
    base = hosted()
    report = tmp_path / "run.json"
    done = subprocess.run(
        [*python_command("pytest"), "-p", "conformance.runs.plugin", "-p", "no:cacheprovider", "-rs", "--gateway",
         f"{base}/mock", "--conformance-header", AUTH, "--conformance-no-preflight", "--conformance-mock-instance",
         "0000", "-k", "GW-PROXY-01 or GW-SYNC-01", "--conformance-json", str(report)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    output = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, output
    assert "conformance: not judged" in output and "2 replicas of the mock answer behind this deployment" in output
    assert "not judged: 2 replicas" in output  # the checks' own reason
    assert not report.exists()


def test_a_wrong_key_exits_2_at_once_with_the_hint(hosted, tmp_path: Path) -> None:
    base = hosted()
    run = conformance("run", "--gateway", f"{base}/mock", "-H", "Authorization: Bearer not-the-key",
                      json_path=tmp_path / "run.json")
    assert run.code == 2 and run.document is None
    assert "answered 401: pass credentials with -H 'Authorization: Bearer ...'" in run.output
    assert "waiting for the deployment" not in run.output  # no cold-start wait on a refusal
    assert "Traceback" not in run.output


def test_an_unknown_deployment_exits_2_at_once_with_the_hint(hosted, tmp_path: Path) -> None:
    base = hosted()
    run = conformance("run", "--gateway", f"{base}/nosuch", "-H", AUTH)
    assert run.code == 2
    assert "answered 404: check the deployment name" in run.output and "waiting for" not in run.output


def test_a_cold_deployment_is_waited_for_and_the_wait_is_reported(servers, tmp_path: Path) -> None:
    """Scale from zero: the run starts while the deployment has no container yet (the gateway answers 502),
    then the container starts and answers 503 for its first seconds, as one loading its model."""
    cold = ManagedServer(python_command("mock_container", "--port", "{port}", "--ready-after", "5"),
                         name="cold-mock", healthy_statuses=(200, 503))
    gateway = servers(start_gateway(f"mock={cold.url}"))
    report = tmp_path / "run.json"
    run = subprocess.Popen([sys.executable, "-m", "conformance", "run", "--gateway", f"{gateway.url}/mock", "-H", AUTH,
                            "-k", "GW-PREF-02", "--json", str(report)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        servers(cold.start())
        stdout, stderr = run.communicate(timeout=300)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == 0, stdout + stderr
    assert "waiting for the deployment to become ready" in stderr and "--ready-timeout" in stderr
    assert "the deployment is ready" in stderr
    document = json.loads(report.read_text())
    assert document["target"]["ready_wait"] > 1.0
    assert "ready after" in stdout


def test_a_deployment_that_stays_cold_exits_2_after_the_ready_timeout(servers) -> None:
    cold = servers(ManagedServer(python_command("mock_container", "--port", "{port}", "--ready-after", "600"),
                                 name="cold-mock", healthy_statuses=(200, 503)).start())
    gateway = servers(start_gateway(f"mock={cold.url}"))
    run = conformance("run", "--gateway", f"{gateway.url}/mock", "-H", AUTH, "--ready-timeout", "1")
    assert run.code == 2
    assert "did not become ready within 1 s (--ready-timeout)" in run.output and "raise --ready-timeout" in run.output


def test_a_gateway_answering_the_control_api_with_html_exits_2_clearly(servers) -> None:
    html = servers(ManagedServer(python_command("tests.hosted.html_gateway", "--port", "{port}"),
                                 name="html-gateway", health_path="/any/health").start())
    run = conformance("run", "--gateway", f"{html.url}/mock")
    assert run.code == 2
    assert "/mock/_mock/info: not a mock container (it answered text/html" in run.output
    assert "Is the deployment running the mock container image of this kit" in run.output
    assert "Traceback" not in run.output


def test_a_mock_of_another_control_api_version_exits_2_clearly(servers) -> None:
    code = ("import sys, mock_container.info as info; info.API_VERSION = 99; "
            "from mock_container.cli import main; sys.exit(main())")
    other = servers(ManagedServer([sys.executable, "-c", code, "--port", "{port}"],
                                  name="mock-api-99").start())
    gateway = servers(start_gateway(f"mock={other.url}"))
    run = conformance("run", "--gateway", f"{gateway.url}/mock", "-H", AUTH)
    assert run.code == 2
    assert "speaks control API 99" in run.output and "this kit speaks control API 1" in run.output
    assert "Traceback" not in run.output
