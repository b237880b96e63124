"""The renderers on small documents: escaping of hostile gateway content, expected failures, deadlines, redaction."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner
from junitparser import Failure, JUnitXml, Skipped

from conformance.cli import main
from conformance.reports import svg
from conformance.reports.console import render_text
from conformance.reports.html import render_html
from conformance.reports.junit import render_junit
from conformance.reports.timeline import describe, timelines
from conformance.http.recording import Recorder
from tests.reports.documents import built, document, exchange, journal, record, status, submission, verdict

HOSTILE = '</pre><script>alert("body")</script>\x01\x1b[31m'


def hostile_document() -> dict:
    evil = exchange(1, "POST", "http://127.0.0.1:9/mock/x?q=<svg/onload=alert(1)>", at=0.0, took=0.01,
                    headers=[("Content-Type", "text/plain")], body=b"hi", status=500,
                    response_headers=[("X-Evil", '"><img src=x onerror=alert(2)>')], response_body=HOSTILE.encode())
    checks = [record("evil_check", [verdict("GW-SYNC-02", "failed", "<b>bold</b> reason", exchanges=[1],
                                            expected="<i>200</i>", actual=HOSTILE)], [evil])]
    return document(checks)


def test_hostile_gateway_content_stays_text_in_the_html() -> None:
    html = render_html(hostile_document())
    assert "<script>alert" not in html and "<img src=x" not in html and "<svg/onload" not in html
    assert "<b>bold</b>" not in html and "<i>200</i>" not in html
    assert "&lt;script&gt;alert(&#34;body&#34;)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt; reason" in html
    assert html.count("<script>") == 1  # the page's own filter script, nothing else


def test_hostile_gateway_content_keeps_the_junit_xml_valid() -> None:
    text = render_junit(hostile_document())
    root = ET.fromstring(text.encode())  # control characters would make this raise
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and failure.get("message") == "GW-SYNC-02 (MUST): <b>bold</b> reason"
    assert '</pre><script>alert("body")</script>\\x01\\x1b[31m' in failure.text
    assert "X-Evil: \"><img src=x onerror=alert(2)>" in failure.text


def test_expected_failures_are_listed_as_expected_everywhere_and_do_not_fail_the_run() -> None:
    checks = [record("accept", [verdict("GW-ASYNC-01", "passed"),
                                verdict("GW-ASYNC-03", "failed", "no X-Inference-Id", exchanges=[1]),
                                verdict("GW-ASYNC-08", "failed", "respond-async forwarded")],
                     [submission(1, "cf-a", "id-1")])]
    doc = document(checks, expected_failures={"GW-ASYNC-03": "our proxy strips it (ticket 12)"})
    assert doc["summary"]["exit_code"] == 0 and doc["summary"]["failed_must"] == []
    case = next(iter(next(iter(JUnitXml.fromstring(render_junit(doc))))))
    (result,) = case.result
    # a SHOULD failure outside --strict and a listed failure: neither fails the case, both are in it
    assert isinstance(result, Skipped)
    assert result.message == "SHOULD not met (does not fail the run): GW-ASYNC-08 (SHOULD): respond-async forwarded (+1 more)"
    assert "GW-ASYNC-03 (MUST) The 202 carries an X-Inference-Id header equal to Id." in result.text
    assert "listed as an expected failure: our proxy strips it (ticket 12)" in result.text
    html = render_html(doc)
    assert 'data-id="GW-ASYNC-03" data-level="MUST" data-outcome="expected"' in html
    assert "listed as an expected failure: our proxy strips it (ticket 12)" in html
    console = render_text(built(checks, expected_failures={"GW-ASYNC-03": "our proxy strips it (ticket 12)"}))
    assert "failed (expected)" in console


@pytest.mark.parametrize(("strict", "kind"), [(False, Skipped), (True, Failure)])
def test_a_should_failure_fails_the_junit_case_only_under_strict(strict: bool, kind: type) -> None:
    checks = [record("accept", [verdict("GW-ASYNC-08", "failed", "respond-async forwarded")], [])]
    case = next(iter(next(iter(JUnitXml.fromstring(render_junit(document(checks, strict=strict)))))))
    (result,) = case.result
    assert isinstance(result, kind) and "GW-ASYNC-08 (SHOULD): respond-async forwarded" in result.message


def late_lifecycle() -> dict:
    """A 202 after 1.5 s (T_accept 1 s), Completed 10 s after the submission (T_done 7 s after the 202)."""
    exchanges = [submission(1, "cf-late", "id-9", took=1.5), journal(2, "cf-late", at=1.6, received=0.01, delay=2.0),
                 status(3, "id-9", "Queue", at=1.6), status(4, "id-9", "Inference", at=3.0),
                 status(5, "id-9", "Completed", at=10.0),
                 exchange(6, "GET", "http://127.0.0.1:9/result/mock", at=10.1, took=0.01, headers=[("X-Inference-Id", "id-9")],
                          response_body=b"done")]
    return document([record("status_lifecycle", [verdict("GW-STATUS-03", "failed", "not Completed within T_done",
                                                         exchanges=[1, 3, 4, 5])], exchanges)])


def test_a_timeline_orders_the_life_of_a_request_and_marks_the_missed_deadlines() -> None:
    doc = late_lifecycle()
    (item,) = timelines(doc["checks"][0], doc["parameters"])
    assert [(e.kind, round(e.at, 1)) for e in item.events] == [
        ("submit", 0.0), ("received", 0.0), ("accepted", 1.5), ("status", 1.6), ("status", 3.0), ("status", 10.0),
        ("result", 10.1)]
    assert [e.status for e in item.events if e.kind == "status"] == ["Queue", "Inference", "Completed"]
    assert [(d.name, round(d.at, 2), d.met) for d in item.deadlines] == [("T_accept", 1.0, False), ("T_done", 8.5, False)]
    text = "\n".join(describe(item))
    assert "T_accept = 1 s (202 within T_accept of the submission, due at +1.00 s): MISSED" in text
    assert "container received POST /v1/infer, answered 200 (until +2.01 s)" in text
    drawing = svg.draw(item)
    classes = [shape.attrs.get("class", "") for shape in drawing.shapes]
    missed = [s.attrs["data-deadline"] for s in drawing.shapes if s.tag == "line" and "deadline-missed" in s.attrs["class"]]
    assert "flight flight-late" in classes and missed == ["T_accept", "T_done"]
    assert drawing.missed == ["T_accept", "T_done"]
    html = render_html(doc)
    assert 'class="timeline has-missed"' in html and "T_done MISSED" in html


def test_credentials_never_reach_a_report_and_come_back_as_shell_variables() -> None:
    secret = "Bearer s3cr3t-token-value"
    recorder = Recorder(redact=["Authorization"])
    sent = recorder.headers([("Authorization", secret), ("X-Api-Token", "tok-123456"), ("Upstream-Key", "k"),
                             ("Content-Type", "application/json")])
    assert sent == [("Authorization", "<redacted>"), ("X-Api-Token", "<redacted>"), ("Upstream-Key", "<redacted>"),
                    ("Content-Type", "application/json")]
    echo = json.dumps({"headers": [["authorization", secret]], "token": "s3cr3t-token-value"}).encode()
    leaky = exchange(1, "POST", "http://127.0.0.1:9/mock/echo", at=0.0, took=0.01, headers=sent, body=b"{}",
                     response_body=echo)
    checks = [record("sync", [verdict("GW-SYNC-03", "failed", f"the container got {secret}", exchanges=[1],
                                      actual=f"Authorization: {secret}")], [leaky])]
    doc = document(checks, headers=(("Authorization", secret),))
    text = json.dumps(doc) + render_html(doc) + render_junit(doc)
    assert "s3cr3t" not in text
    reproduction = doc["requirements"][0]["failures"][0]["reproduction"]
    assert "-H 'Authorization: '\"${AUTHORIZATION}\"" in reproduction and "-H 'X-Api-Token: '\"${X_API_TOKEN}\"" in reproduction
    assert "# AUTHORIZATION: the Authorization value you gave the suite (redacted from the report)" in reproduction


def test_a_follow_up_is_reproduced_after_its_submission_with_the_id_it_got() -> None:
    doc = late_lifecycle()
    script = doc["requirements"][0]["failures"][0]["reproduction"]
    lines = script.splitlines()
    assert lines[0] == "# GW-STATUS-03 (MUST): not Completed within T_done"
    submit = next(line for line in lines if line.startswith("ID=$("))
    assert "-X POST 'http://127.0.0.1:9/mock/v1/infer?mock-correlation=cf-late'" in submit and "curl -sS --max-time 10" in submit
    assert submit.endswith("""| python3 -c 'import json,sys; print(json.load(sys.stdin)["Id"])')""")
    assert "sleep 8.5  # the suite sent the next request this much later" in lines
    assert lines[-1] == "curl -sS -i --max-time 10 http://127.0.0.1:9/status/mock -H 'X-Inference-Id: '\"${ID}\""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No such file or directory"),
        ("{not json", "not JSON"),
        ("[1, 2]", "the top level is not an object"),
        ('{"schema_version": "1.0"}', "not a conformance result document (no summary, requirements"),
        ('{"schema_version": "2.0", "summary": {}, "requirements": [], "checks": [], "parameters": {}, "target": {}}',
         "schema_version 2.0 is not supported"),
        ('{"schema_version": "1.0", "summary": {}, "requirements": [{}], "checks": [], "parameters": {}, "target": {}}',
         "the result document is incomplete or malformed"),
    ],
)
def test_report_refuses_what_is_not_a_result_document_with_a_clear_error(tmp_path, content, message) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "run.json"
    if content is not None:
        path.write_text(content)
    result = CliRunner().invoke(main, ["report", str(path), "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 2
    assert message in " ".join((result.output + result.stderr).split())
    assert "Traceback" not in result.output + result.stderr and not (tmp_path / "r.html").exists()


def test_report_without_an_output_is_a_usage_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "run.json"
    path.write_text(json.dumps(late_lifecycle()))
    result = CliRunner().invoke(main, ["report", str(path)])
    assert result.exit_code == 2 and "nothing to write: give --html, --junit-xml, --markdown or --expected-failures-out FILE" in result.output
