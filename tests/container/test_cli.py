"""`conformance container` as a command: usage errors and an absent container exit 2 with a message naming
the flag; environment variables; selection by ID; `conformance requirements --kind container`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.contract import catalogue
from conformance.cli import main
from conformance.runs.launcher import free_port


def invoke(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def text(result) -> str:  # type: ignore[no-untyped-def]
    return " ".join((result.output + (result.stderr if result.stderr_bytes is not None else "")).split())


@pytest.fixture
def not_json(tmp_path: Path) -> str:
    path = tmp_path / "audio.bin"
    path.write_bytes(b"RIFF\x00\x01binary")
    return str(path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "--url URL (a running container) or --container-cmd CMD (one the suite starts) is required"),
        (["--url", "http://127.0.0.1:9", "--body", "/nonexistent/sample.json"],
         "Invalid value for '--body': File '/nonexistent/sample.json' does not exist"),
        (["--url", "http://127.0.0.1:9", "--supports", "fire-and-forget,streaming"],
         "--supports streaming: expected a comma-separated list of fire-and-forget, task-id"),
        (["--url", "http://127.0.0.1:9", "--supports", "fire-and-forget"],
         "the container calls a webhook URL fixed when it starts, so give the sink a fixed place with --sink-port PORT "
         "and start the container with the URL http://127.0.0.1:PORT/_mock/webhooks/container, or let the suite start "
         "it with --container-cmd ({sink_url} is filled in)"),
        (["--url", "http://127.0.0.1:9", "--container-env", "WEBHOOK=x"], "--container-env needs --container-cmd"),
        (["--container-cmd", "app --port {port}", "--container-env", "1X=y"], "--container-env '1X=y': expected NAME=VALUE"),
        (["--container-cmd", "app --port {port}", "--container-env", "NOVALUE"], "--container-env 'NOVALUE': expected NAME=VALUE"),
        (["--container-cmd", "app --port {port}", "--container-env", "A={url}"],
         "--container-env A= '{url}': only {port} and {sink_url} can be filled in"),
        (["--container-cmd", "app --json '{\"a\": 1}'"], "--container-cmd 'app --json \\'{\"a\": 1}\\'': its argument "
         "'{\"a\": 1}': only {port} and {sink_url} can be filled in; write {{ and }} for a literal brace"),
        (["--container-cmd", "app 'unclosed"], "cannot be split like a shell line: No closing quotation"),
        (["--container-cmd", "app", "--url", "http://127.0.0.1:{host}"], "--url 'http://127.0.0.1:{host}': only {port} can"),
        (["--url", "http://127.0.0.1:9", "-k", "GW-ASYNC"], "-k GW-ASYNC: no container requirement ID starts with it"),
        (["--url", "http://127.0.0.1:9", "--path", "generate"], "--path 'generate': must start with /"),
        (["--url", "http://127.0.0.1:9", "--t-accept", "0"], "Invalid value for '--t-accept'"),
        (["--url", "http://127.0.0.1:9", "-H", "no colon"], "is not of the form 'Name: value'"),
        (["--url", "http://127.0.0.1:9", "--sink-url", "http://{host}:{port}"], "--sink-url 'http://{host}:{port}': only {port}"),
    ],
)
def test_usage_errors_exit_2_naming_the_flag(args: list[str], message: str) -> None:
    result = invoke("container", *args)
    assert result.exit_code == 2, result.output
    assert message in text(result)


def test_a_webhook_field_needs_a_json_object_body(not_json: str) -> None:
    result = invoke("container", "--url", "http://127.0.0.1:9", "--body", not_json, "--content-type", "audio/wav",
                    "--webhook-field", "callback")
    assert result.exit_code == 2
    assert "--webhook-field callback: the sample body (--body) must be a JSON object to carry it" in text(result)


def test_a_container_that_never_answers_exits_2() -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    result = invoke("container", "--url", nobody, "--ready-timeout", "0.5")
    assert result.exit_code == 2
    output = text(result)
    assert f"the container at {nobody} does not answer: GET {nobody}/health failed for 0.5 s (--ready-timeout)" in output
    assert "Connection refused" in output or "ConnectError" in output


def test_environment_variables_and_selection(mock_url: str, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = invoke("container", env={
        "CONFORMANCE_CT_URL": mock_url, "CONFORMANCE_CT_SELECT": "CT-SYNC-01",
        "CONFORMANCE_CT_JSON": str(report), "CONFORMANCE_CT_HEADER": "Authorization: Bearer s3cret",
    })
    assert result.exit_code == 0, result.output
    document = json.loads(report.read_text())
    assert [r["id"] for r in document["requirements"]] == ["CT-SYNC-01"]
    assert document["requirements"][0]["outcome"] == "passed"
    assert document["selection"]["checks"] == ["answers_without_prefer"]
    sent = dict(document["checks"][0]["exchanges"][0]["request"]["headers"])
    assert sent["Authorization"] == "<redacted>" and "s3cret" not in report.read_text()
    assert "CT-SYNC-01" in result.output and "MUST: 1 passed, 0 failed" in text(result)


def test_junit_and_html_reports_as_for_a_gateway_run(mock_url: str, tmp_path: Path) -> None:
    junit, html = tmp_path / "junit.xml", tmp_path / "report.html"
    result = invoke("container", "--url", mock_url, "-k", "CT-SYNC", "-k", "CT-ROBUST", "--html", str(html),
                    env={"CONFORMANCE_CT_JUNIT_XML": str(junit)})
    assert result.exit_code == 0, result.output  # the mock's CT-ROBUST-01 failure is a SHOULD
    assert f"JUnit XML report: {junit}" in text(result) and f"HTML report: {html}" in text(result)
    xml = junit.read_text()
    assert '<testsuite name="CT-SYNC" tests="2" failures="0"' in xml
    assert 'name="malformed_input_rejected[CT-ROBUST-01]"' in xml and "was accepted: answered 200" in xml
    page = html.read_text()
    assert f"container <code>{mock_url}</code>" in page and "CT-ROBUST-01" in page


def test_requirements_lists_the_container_side() -> None:
    result = invoke("requirements", "--kind", "container", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert [row["id"] for row in rows] == [req.id for req in catalogue.container_requirements()]
    assert all(row["checks"] for row in rows)
    assert next(r for r in rows if r["id"] == "CT-ASYNC-01")["applies_when"] == "the container declares fire-and-forget support"


def test_the_gateway_run_refuses_container_ids() -> None:
    result = invoke("run", "-k", "CT-SYNC")
    assert result.exit_code == 2 and "no gateway requirement ID starts with it" in text(result)


def test_the_container_is_told_the_sink_url_given(mock_url: str, tmp_path: Path) -> None:
    """--sink-url is what the container gets (here `localhost` instead of 127.0.0.1), and the webhook still arrives."""
    body, report = tmp_path / "ack.json", tmp_path / "report.json"
    body.write_text(json.dumps({"prompt": "hi", "mock": {"async": "ack"}}))
    result = invoke("container", "--url", mock_url, "-k", "CT-ASYNC-01", "--supports", "fire-and-forget",
                    "--body", str(body), "--webhook-header", "X-Mock-Webhook-Url",
                    "--sink-url", "http://localhost:{port}", "--json", str(report))
    assert result.exit_code == 0, result.output
    document = json.loads(report.read_text())
    assert document["requirements"][0]["outcome"] == "passed"
    told = dict(document["checks"][0]["exchanges"][0]["request"]["headers"])["X-Mock-Webhook-Url"]
    assert told.startswith("http://localhost:") and "/_mock/webhooks/" in told
