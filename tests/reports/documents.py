"""Small result documents built the way a run builds them (check records -> build_document), for renderer tests."""

from __future__ import annotations

import json
from typing import Any

from conformance.judge.config import SuiteConfig
from conformance.judge.model import (
    BodyRecord,
    CheckRecord,
    ExchangeRecord,
    FailureRecord,
    IdVerdict,
    MockEntryRecord,
    Outcome,
    RequestRecord,
    ResponseRecord,
    ResultDocument,
    TargetInfo,
)
from conformance.judge.document import build_document
from conformance.reports.curl import add_reproductions
from conformance.judge.selection import Selection

T0 = 1_700_000_000.0
GATEWAY = "http://127.0.0.1:9/mock"
MOCK = "http://127.0.0.1:8"


def exchange(seq: int, method: str, url: str, *, at: float, took: float, headers: list[tuple[str, str]] | None = None,
             body: bytes = b"", status: int | None = 200, response_headers: list[tuple[str, str]] | None = None,
             response_body: bytes = b"", target: str = "gateway", check: str = "c",
             mock_entries: list[MockEntryRecord] | None = None) -> ExchangeRecord:
    response = None
    if status is not None:
        response = ResponseRecord(status, "Accepted" if status == 202 else "OK", "HTTP/1.1", response_headers or [],
                                  BodyRecord.of(response_body))
    return ExchangeRecord(seq=seq, check=check, target=target, started_at=T0 + at, started=at,
                          request=RequestRecord(method, url, headers or [], BodyRecord.of(body)), elapsed=took,
                          response=response, error=None if response else "ReadTimeout", mock_entries=mock_entries)


def submission(seq: int, correlation: str, inference_id: str, *, at: float = 0.0, took: float = 0.02,
               prefer: str = "respond-async", check: str = "c") -> ExchangeRecord:
    accept = {"Id": inference_id, "StatusPath": "/status/mock", "ResultPath": "/result/mock"}
    return exchange(seq, "POST", f"{GATEWAY}/v1/infer?mock-correlation={correlation}", at=at, took=took, check=check,
                    headers=[("X-Mock-Correlation", correlation), ("Prefer", prefer), ("Content-Type", "application/json")],
                    body=b'{"prompt": "x"}', status=202,
                    response_headers=[("X-Inference-Id", inference_id), ("Content-Type", "application/json")],
                    response_body=json.dumps(accept).encode() if prefer == "respond-async" else b"")


def status(seq: int, inference_id: str, value: str, *, at: float, check: str = "c") -> ExchangeRecord:
    body = json.dumps({"Id": inference_id, "Status": value, "Error": None}).encode()
    return exchange(seq, "GET", "http://127.0.0.1:9/status/mock", at=at, took=0.005, check=check,
                    headers=[("X-Inference-Id", inference_id)], status=200,
                    response_headers=[("Content-Type", "application/json")], response_body=body)


def journal(seq: int, correlation: str, *, at: float, received: float, delay: float | None = None,
            check: str = "c") -> ExchangeRecord:
    entry = MockEntryRecord("journal", 7, T0 + received, correlation, "POST", "/v1/infer", 200, delay)
    return exchange(seq, "GET", f"{MOCK}/_mock/journal/wait?correlation={correlation}&count=1&timeout=7",
                    at=at, took=0.01, target="mock", check=check, response_body=b'{"entries": []}',
                    mock_entries=[entry])


def verdict(rid: str, outcome: str, reason: str = "", *, exchanges: list[int] | None = None,
            expected: Any = None, actual: Any = None) -> IdVerdict:
    failures = [FailureRecord(reason, expected, actual, None, exchanges or [])] if outcome == "failed" else []
    return IdVerdict(rid, Outcome(outcome), reason, failures)


def record(name: str, verdicts: list[IdVerdict], exchanges: list[ExchangeRecord], description: str = "a check") -> CheckRecord:
    for item in exchanges:
        item.check = name
    return CheckRecord(name, "async_", [v.id for v in verdicts], description, "completed", 0.1, 2.0, None, verdicts,
                       exchanges)


def built(records: list[CheckRecord], *, headers: tuple[tuple[str, str], ...] = (), **kwargs: Any) -> ResultDocument:
    """The result document of a run made of these check records."""
    config = SuiteConfig(gateway=GATEWAY, container_url=MOCK, headers=headers)
    return add_reproductions(build_document(config=config, target=TargetInfo("url", GATEWAY, MOCK),
                                            selection=Selection(), records=records, **kwargs))


def document(records: list[CheckRecord], **kwargs: Any) -> dict[str, Any]:
    """Its JSON form, what the file renderers read."""
    return json.loads(json.dumps(built(records, **kwargs).to_dict()))
