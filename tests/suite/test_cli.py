"""`conformance requirements` and `conformance run`: listing, usage errors, unreachable and unrouted targets, env vars."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from conformance.contract import catalogue
from conformance.cli import main
from conformance.runs.launcher import ManagedServer, free_port, python_command
from tests.conftest import start_mock


def invoke(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def text(result) -> str:  # type: ignore[no-untyped-def]
    return " ".join((result.output + (result.stderr if result.stderr_bytes is not None else "")).split())


@pytest.fixture(scope="module")
def gateway(mock_url: str) -> Iterator[str]:
    """The reference gateway, deployment `mock` routed to the session's mock container."""
    server = ManagedServer(python_command("conformance", "gateway", "--port", "{port}", "--deployment", f"mock={mock_url}"),
                           name="reference-gateway").start()
    yield f"{server.url}/mock"
    server.stop()


def test_requirements_lists_every_gateway_id_with_its_checks() -> None:
    result = invoke("requirements", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert [row["id"] for row in rows] == [req.id for req in catalogue.gateway_requirements()]
    assert all(row["checks"] for row in rows)
    sec = next(row for row in rows if row["id"] == "GW-SEC-01")
    assert sec["level"] == "SHOULD" and sec["applies_when"] == "a second deployment is configured"
    table = invoke("requirements")
    assert table.exit_code == 0 and "GW-LOAD-02" in table.output and "submission_accepted" in table.output


def test_requirements_follows_the_selection_flags_and_their_env_vars() -> None:
    rows = json.loads(invoke("requirements", "--json", "-k", "GW-ASYNC", "--level", "should").output)
    assert [row["id"] for row in rows] == ["GW-ASYNC-08", "GW-ASYNC-09", "GW-ASYNC-10"]
    rows = json.loads(invoke("requirements", "--json", env={"CONFORMANCE_SELECT": "GW-CONT GW-SEC"}).output)
    assert [row["id"] for row in rows] == ["GW-CONT-01", "GW-CONT-02", "GW-CONT-03", "GW-CONT-04", "GW-SEC-01"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "-k", "GW-NOPE"], "no gateway requirement ID starts with it"),
        (["run", "--container-url", "http://127.0.0.1:9"], "--container-url needs --gateway"),
        (["run", "-H", "no colon here"], "is not of the form 'Name: value'"),
        (["requirements", "-k", "XX"], "no gateway requirement ID starts with it"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(args: list[str], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in text(result)


def test_an_unreachable_gateway_exits_2(mock_url: str) -> None:
    nobody = f"http://127.0.0.1:{free_port()}/mock"
    result = invoke("run", "--gateway", nobody, "--container-url", mock_url)
    assert result.exit_code == 2
    assert f"the gateway at {nobody} (--gateway) does not answer" in text(result)


def test_an_unreachable_mock_exits_2(gateway: str) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    result = invoke("run", "--gateway", gateway, "--container-url", nobody)
    assert result.exit_code == 2 and f"the mock container at {nobody} does not answer" in text(result)


def test_a_deployment_not_routed_to_the_given_mock_exits_2_and_env_vars_work(gateway: str) -> None:
    other_mock = start_mock(name="unrelated-mock")
    try:
        result = invoke("run", env={"CONFORMANCE_GATEWAY": gateway, "CONFORMANCE_CONTAINER_URL": other_mock.url})
    finally:
        other_mock.stop()
    assert result.exit_code == 2
    assert f"the deployment at {gateway} (--gateway) is not routed to the mock container at {other_mock.url}" in text(result)


def test_headers_reach_a_gateway_that_requires_auth(mock_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    server = ManagedServer(python_command("conformance", "gateway", "--port", "{port}", "--deployment", f"mock={mock_url}",
                                          "--api-key", "s3cret"), name="auth-gateway").start()
    try:
        refused = invoke("run", "--gateway", f"{server.url}/mock", "--container-url", mock_url, "-k", "GW-PREF-02")
        report = tmp_path / "auth.json"
        accepted = invoke("run", "-k", "GW-PREF-02", "--json", str(report), env={
            "CONFORMANCE_GATEWAY": f"{server.url}/mock", "CONFORMANCE_CONTAINER_URL": mock_url,
            "CONFORMANCE_HEADER": "Authorization: Bearer s3cret\nX-Team: conformance"})
    finally:
        server.stop()
    assert refused.exit_code == 2 and "answered 401: pass credentials with -H" in text(refused)
    assert accepted.exit_code == 0, accepted.output
    document = json.loads(report.read_text())
    assert document["requirements"][0]["id"] == "GW-PREF-02" and document["requirements"][0]["outcome"] == "passed"
    sent = dict(document["checks"][0]["exchanges"][0]["request"]["headers"])
    assert sent["Authorization"] == sent["X-Team"] == "<redacted>"  # -H values may be secrets: never in a report
    assert "s3cret" not in report.read_text()


def test_a_failing_must_exits_1_and_says_what_is_wrong(mock_url: str) -> None:
    """The mock container itself as the "gateway": everything is synchronous, so respond-async is not honoured."""
    result = invoke("run", "--gateway", mock_url, "--container-url", mock_url, "-k", "GW-PREF-01", "-k", "GW-PREF-02")
    assert result.exit_code == 1
    output = text(result)
    assert "GW-PREF-01" in output and "was handled as synchronous" in output
    assert "MUST: 1 passed, 1 failed" in output and "FAIL" in output


def test_an_expected_failure_does_not_fail_the_run_and_a_passing_one_fails_it(mock_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    listed = tmp_path / "xfail.txt"
    listed.write_text("# a gateway without async modes yet\nGW-PREF-01 async modes come in the next release\n"
                      "GW-PREF-02 listed by mistake\n")
    result = invoke("run", "--gateway", mock_url, "--container-url", mock_url, "-k", "GW-PREF-01", "-k", "GW-PREF-02",
                    "--expected-failures", str(listed))
    assert result.exit_code == 1, result.output  # a stale entry: the file must be cleaned (tests/ci has every case)
    output = text(result)
    assert "failed (expected)" in output and "listed as expected failures but passed: GW-PREF-02" in output
    assert f"GW-PREF-02 now passes: remove it from {listed}" in output


def test_a_gateway_command_that_does_not_start_exits_2_with_its_output() -> None:
    result = invoke("run", "--gateway-cmd", "python3 -c 'import sys; print(\"no config\"); sys.exit(3)'")
    assert result.exit_code == 2
    output = text(result)
    assert "exited with code 3 before it was healthy" in output and "no config" in output
