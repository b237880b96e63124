"""From check records to the result document: aggregation, exit codes, expected failures, schema."""

from __future__ import annotations

import json

import jsonschema
import pytest

from conformance.judge.config import SuiteConfig
from conformance.reports.console import render_text
from conformance.reports.json_report import dumps, schema
from conformance.judge.model import (
    BodyRecord,
    CheckRecord,
    ExchangeRecord,
    FailureRecord,
    IdVerdict,
    Outcome,
    RequestRecord,
    ResponseRecord,
    TargetInfo,
)
from conformance.judge.document import build_document
from conformance.judge.selection import Selection, SelectionError, parse_expected_failures

CONFIG = SuiteConfig(gateway="http://gw/mock", container_url="http://mock")
TARGET = TargetInfo("url", "http://gw/mock", "http://mock")


def exchange(seq: int, status: int = 200) -> ExchangeRecord:
    return ExchangeRecord(
        seq=seq, check="c", target="gateway", started_at=1.7e9, started=0.5,
        request=RequestRecord("POST", "http://gw/mock/x", [("Authorization", "<redacted>")], BodyRecord.of(b"\xff")),
        response=ResponseRecord(status, "OK", "HTTP/1.1", [("content-type", "text/plain")], BodyRecord.of(b"ok")),
        elapsed=0.01,
    )


def verdict(rid: str, outcome: str, reason: str = "", exchanges: list[int] | None = None, **kw) -> IdVerdict:  # type: ignore[no-untyped-def]
    failures = [FailureRecord(reason, "202", "200", None, exchanges or [])] if outcome == "failed" else []
    return IdVerdict(rid, Outcome(outcome), reason, failures, **kw)


def record(name: str, *verdicts: IdVerdict, exchanges: list[ExchangeRecord] | None = None) -> CheckRecord:
    return CheckRecord(name, "async_", [v.id for v in verdicts], "doc", "completed", 0.1, 0.2, None, list(verdicts),
                       exchanges or [])


def build(records, **kw):  # type: ignore[no-untyped-def]
    return build_document(config=CONFIG, target=TARGET, selection=kw.pop("selection", Selection()), records=records, **kw)


def test_a_requirement_aggregates_its_checks() -> None:
    records = [
        record("one", verdict("GW-ASYNC-01", "passed"), verdict("GW-ASYNC-03", "failed", "no header", [7]),
               verdict("GW-STATUS-08", "passed"), exchanges=[exchange(7, 202)]),
        record("two", verdict("GW-ASYNC-01", "passed"), verdict("GW-STATUS-08", "skipped", "hang case blocked"),
               verdict("GW-STATUS-01", "skipped", "no 202")),
        record("three", verdict("GW-ASYNC-11", "observed", "rejected with 409", observed="rejected with 409")),
    ]
    doc = build(records)
    assert doc.outcomes() == {"GW-ASYNC-01": "passed", "GW-ASYNC-03": "failed", "GW-ASYNC-11": "observed",
                              "GW-STATUS-01": "skipped", "GW-STATUS-08": "passed"}
    failed = doc.requirement("GW-ASYNC-03")
    assert failed.reason == "no header" and failed.failures[0].exchanges[0].seq == 7
    assert failed.failures[0].expected == "202" and failed.failures[0].check == "one"
    assert "partly not judged: hang case blocked" in doc.requirement("GW-STATUS-08").notes
    assert doc.requirement("GW-ASYNC-01").checks == ["one", "two"]
    assert doc.summary.exit_code == 1 and doc.summary.failed_must == ["GW-ASYNC-03"]
    assert doc.summary.counts["MUST"].failed == 1 and doc.summary.counts["INFO"].observed == 1


def test_should_failures_fail_the_run_only_when_strict() -> None:
    records = [record("one", verdict("GW-ASYNC-08", "failed", "prefer forwarded"), verdict("GW-ASYNC-01", "passed"))]
    assert build(records).summary.exit_code == 0
    assert build(records).summary.failed_should == ["GW-ASYNC-08"]
    assert build(records, strict=True).summary.exit_code == 1


def test_expected_failures_do_not_fail_the_run_and_a_passing_one_is_stale() -> None:
    records = [record("one", verdict("GW-ASYNC-03", "failed", "no header"), verdict("GW-ASYNC-01", "passed"))]
    doc = build(records, expected_failures={"GW-ASYNC-03": "not implemented yet"})
    assert doc.summary.exit_code == 0 and doc.summary.failed_must == []
    assert doc.requirement("GW-ASYNC-03").expected_failure.reason == "not implemented yet"
    assert doc.summary.counts["MUST"].expected_failures == 1
    stale = build(records, expected_failures={"GW-ASYNC-03": "not implemented yet", "GW-ASYNC-01": "flaky"})
    assert stale.summary.unexpected_passes == ["GW-ASYNC-01"] and stale.summary.exit_code == 1
    assert stale.summary.failed_must == []  # stale is not a failure of the gateway: only the file is out of date


def test_only_selected_requirements_are_reported() -> None:
    records = [record("one", verdict("GW-ASYNC-05", "failed", "slow"), verdict("GW-PROXY-02", "passed"))]
    doc = build(records, selection=Selection.make(["GW-PROXY"]))
    assert doc.outcomes() == {"GW-PROXY-02": "passed"} and doc.summary.exit_code == 0


def test_gateway_forms_are_reported_where_the_contract_allows_several() -> None:
    records = [record("s", verdict("GW-STATUS-01", "passed", data={"status_encoding": "integers"})),
               record("r", verdict("GW-RESULT-02", "passed", data={"failure_visibility": "Error"}))]
    doc = build(records)
    assert doc.summary.gateway_forms == {"status_encoding": "integers", "failure_visibility": "Error"}
    assert doc.requirement("GW-STATUS-01").observed == "status encoding: integers"


def test_the_document_matches_its_schema_and_renders() -> None:
    records = [record("one", verdict("GW-ASYNC-03", "failed", "no [header]", [7]), exchanges=[exchange(7)])]
    document = build(records)
    jsonschema.Draft202012Validator.check_schema(schema())
    jsonschema.validate(json.loads(dumps(document)), schema(), cls=jsonschema.Draft202012Validator)
    text = render_text(document)
    assert "GW-ASYNC-03" in text and "no [header]" in text and "MUST: 0 passed, 1 failed" in text


def test_the_schema_rejects_a_failure_without_its_details() -> None:
    document = json.loads(dumps(build([record("one", verdict("GW-ASYNC-03", "failed", "x"))])))
    document["requirements"][0]["failures"] = []
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema(), cls=jsonschema.Draft202012Validator)


def test_selection_and_expected_failures_reject_what_names_nothing() -> None:
    with pytest.raises(SelectionError, match="GW-NOPE"):
        Selection.make(["GW-NOPE"])
    with pytest.raises(SelectionError, match="--level"):
        Selection.make(levels=["MAYBE"])
    assert parse_expected_failures("# partial gateway\nGW-SYNC-04  no streaming yet\n\ngw-pref-06\n") == {
        "GW-SYNC-04": "no streaming yet", "GW-PREF-06": "listed as an expected failure"}
    with pytest.raises(SelectionError, match="line 1"):
        parse_expected_failures("GW-BOGUS-01 reason")


def test_a_check_that_lost_its_view_of_the_mock_leaves_the_run_unjudged() -> None:
    """An instrument error is never the gateway's failure and never a pass: the run exits 2 and says why."""
    blind = record("exactly_once", verdict("GW-ASYNC-07", "skipped", "not judged: the suite could not observe"))
    blind.status, blind.error = "instrument-error", "the mock container did not answer GET /_mock/journal/wait"
    document = build([record("ok", verdict("GW-ASYNC-01", "passed")), blind])
    assert (document.summary.exit_code, document.summary.verdict) == (2, "not judged")
    assert document.summary.not_judged == ["exactly_once: the mock container did not answer GET /_mock/journal/wait"]
    assert not document.summary.failed_must  # nothing is blamed on the gateway
    assert build([record("ok", verdict("GW-ASYNC-01", "passed"))]).summary.exit_code == 0
