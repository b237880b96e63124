"""The steps checks share: every legal form is accepted, and what is not legal is told apart."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from types import SimpleNamespace

import httpx
import pytest

from conformance.checks.async_ import estimated_bits, sequential
from conformance.checks.client import GatewayClient
from conformance.http.origins import OriginPolicy
from conformance.checks.flows import Sent, accepted, read_status, request_mismatches
from conformance.checks.load import p99
from mock_container.client import JournalEntry
from conformance.judge.verdicts import Blocked

URL = "http://gw.test/api/mock/v1/infer?mock-correlation=c1"


def sent(status: int, document: object, url: str = URL, body: bytes = b"{}", content_type: str | None = "application/json") -> Sent:
    response = httpx.Response(status, json=document, request=httpx.Request("POST", url))
    query = httpx.URL(url).query.decode()
    return Sent(response, url, "/v1/infer", query, "POST", body, content_type, 0.01, "c1")


def context(*allowed: str) -> SimpleNamespace:
    """What `accepted` reads of a check's context: the clock, and the gateway client with its origin policy."""
    policy = OriginPolicy.of(["http://gw.test/api/mock"], allowed)
    return SimpleNamespace(clock=lambda: 1.0, gateway=GatewayClient(httpx.AsyncClient(), base="http://gw.test/api/mock",
                                                                     timeout=1.0, policy=policy))


CTX = context("other.test")


@pytest.mark.parametrize(
    ("status_path", "resolved"),
    [
        ("/status/mock", "http://gw.test/status/mock"),  # the provider's form
        ("status", "http://gw.test/api/mock/v1/status"),  # relative to the accepted request
        ("../../status/mock", "http://gw.test/api/status/mock"),
        ("https://other.test/s/mock", "https://other.test/s/mock"),  # absolute URL, on an origin the run allows
    ],
)
def test_status_and_result_paths_are_uri_references(status_path: str, resolved: str) -> None:
    acc = accepted(CTX, sent(202, {"Id": "a", "StatusPath": status_path, "ResultPath": "/result/mock", "Extra": 1}))
    assert acc.status_url == resolved and acc.result_url == "http://gw.test/result/mock" and acc.id == "a"


@pytest.mark.parametrize("status_path", ["http://169.254.169.254/latest/meta-data/", "https://gw.test/status/mock",
                                         "http://gw.test:8080/status/mock", "//other.test/s", "file:///etc/passwd"])
def test_a_route_on_an_origin_the_run_does_not_allow_blocks_naming_the_flag(status_path: str) -> None:
    """Another host, scheme or port is another origin (RFC 6454): not followed unless allowed, never with -H."""
    with pytest.raises(Blocked, match=r"GW-ASYNC-02") as caught:
        accepted(context(), sent(202, {"Id": "a", "StatusPath": status_path, "ResultPath": "/result/mock"}))
    assert "--allow-origin" in caught.value.reason or "no http(s) URL" in caught.value.reason


@pytest.mark.parametrize(
    ("status", "document", "why"),
    [
        (200, {"Id": "a", "StatusPath": "/s", "ResultPath": "/r"}, "answered 200, not 202"),
        (202, ["Id"], "no usable Id"),
        (202, {"Id": "", "StatusPath": "/s", "ResultPath": "/r"}, "no usable Id"),
        (202, {"Id": "a", "StatusPath": "/s"}, "no usable ResultPath"),
    ],
)
def test_an_unusable_accept_blocks_the_checks_that_need_it(status: int, document: object, why: str) -> None:
    with pytest.raises(Blocked, match=why):
        accepted(CTX, sent(status, document))


@pytest.mark.parametrize(
    ("value", "rank", "encoding"),
    [("Initialized", 0, "names"), ("Queue", 1, "names"), ("Inference", 2, "names"), ("Completed", 3, "names"),
     (0, 0, "integers"), (3, 3, "integers")],
)
def test_both_status_encodings_are_legal(value: object, rank: int, encoding: str) -> None:
    reading = read_status(httpx.Response(200, json={"Id": "a", "Status": value, "Error": None, "More": [1]}), 0.0)
    assert (reading.problem, reading.rank, reading.encoding) == (None, rank, encoding)


@pytest.mark.parametrize("value", ["completed", "COMPLETED", "3", 4, -1, True, None, 2.0])
def test_other_status_values_are_not(value: object) -> None:
    assert read_status(httpx.Response(200, json={"Status": value}), 0.0).problem


def test_a_status_route_that_is_not_a_200_json_object_is_a_problem() -> None:
    assert "answered 404" in read_status(httpx.Response(404, text="nope"), 0.0).problem
    assert "not JSON" in read_status(httpx.Response(200, text="Completed"), 0.0).problem
    assert "no Status field" in read_status(httpx.Response(200, json={"state": 3}), 0.0).problem


def journal(method: str = "POST", path: str = "/v1/infer", query: str = "mock-correlation=c1", body: bytes = b"{}",
            content_type: str = "application/json") -> JournalEntry:
    return JournalEntry.parse({
        "seq": 1, "time": 1.0, "method": method, "path": path, "query": query, "body_size": len(body),
        "body_sha256": hashlib.sha256(body).hexdigest(), "headers": [["content-type", content_type]],
        "body_base64": base64.b64encode(body).decode(), "body_truncated": False, "correlation": "c1", "prefer": None,
        "status": 200, "delay": 0.0})


def test_the_forwarded_request_compares_by_meaning_where_encodings_may_differ() -> None:
    original = sent(202, {}, url="http://gw.test/api/mock/v1/infer?a=x%2Cy&b=two%20words&mock-correlation=c1")
    assert request_mismatches(journal(query="a=x,y&b=two+words&mock-correlation=c1"), original) == []
    problems = request_mismatches(journal(method="PUT", path="/infer", query="b=two+words&a=x,y&mock-correlation=c1",
                                          body=b"{ }", content_type="text/plain"), original)
    assert [p.split()[0] for p in problems] == ["method", "path", "query", "a", "Content-Type"]


def test_unguessable_ids_are_told_from_sequential_or_narrow_ones() -> None:
    uuids = [str(uuid.uuid4()) for _ in range(32)]
    assert estimated_bits(uuids) >= 120 and not sequential(uuids)
    numbers = [str(1000 + k) for k in range(32)]
    assert sequential(numbers) and estimated_bits(numbers) < 64
    prefixed = [f"req-{k:06d}" for k in range(32)]
    assert sequential(prefixed)
    time_based = [f"{uuid.uuid1()}" for _ in range(32)]  # timestamps and a fixed node: little randomness
    assert estimated_bits(time_based) < 64


def test_p99_is_the_nearest_rank() -> None:
    assert p99([0.01] * 31 + [2.0]) == 2.0
    assert p99([k / 1000 for k in range(1, 201)]) == 0.198
    assert json.loads(json.dumps(p99([0.5]))) == 0.5
