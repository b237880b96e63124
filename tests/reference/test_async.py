"""respond-async: accept at once, call the container once, keep status and result
(GW-ASYNC-*, GW-STATUS-*, GW-RESULT-*, GW-SEC-01)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from conformance.runs.launcher import ManagedServer, free_port

from .harness import NAMES, Journal, header_values, poll_status, sha256, start_gateway, submit_async


def status_url(gateway_url: str, deployment: str = "mock") -> str:
    return f"{gateway_url}/status/{deployment}"


def result_url(gateway_url: str, deployment: str = "mock") -> str:
    return f"{gateway_url}/result/{deployment}"


def test_accept_document_and_headers(client: httpx.Client, base: str, gateway_url: str, journal: Journal,
                                     correlation: str) -> None:
    started = time.monotonic()
    response = submit_async(client, f"{base}/gen", correlation, headers={"X-Mock-Delay": "2"}, content=b"{}")
    elapsed = time.monotonic() - started
    assert response.status_code == 202  # GW-ASYNC-01
    document = response.json()
    assert set(document) == {"Id", "StatusPath", "ResultPath"}  # GW-ASYNC-02
    assert all(isinstance(value, str) and value for value in document.values())
    assert response.headers["x-inference-id"] == document["Id"]  # GW-ASYNC-03
    assert response.headers["location"] == document["ResultPath"] == "/result/mock"  # GW-ASYNC-04
    assert document["StatusPath"] == "/status/mock"
    assert str(uuid.UUID(document["Id"])) == document["Id"]
    # GW-ASYNC-05: the container takes 2 s, so an accept that waited for it takes 2 s or more; T_accept
    # (1 s) is the suite's bound, this test only asks for "did not wait", which a loaded machine cannot flip
    assert elapsed < 2.0
    journal.wait(correlation)  # the container did get it, after the 202


def test_lifecycle_container_call_status_and_result(client: httpx.Client, base: str, gateway_url: str,
                                                    journal: Journal, correlation: str) -> None:
    body = os.urandom(5000)
    response = submit_async(
        client, f"{base}/v1/predict?mode=fast&x=%2F", correlation, content=body,
        headers={"Content-Type": "application/x-raw", "X-Mock-Delay": "0.6", "Prefer": "respond-async, wait=10",
                 "X-Mock-Status": "201", "X-Mock-Headers": json.dumps({"X-Model": "m1"})},
    )
    inference_id = response.json()["Id"]
    (entry,) = journal.wait(correlation)
    # GW-ASYNC-07: the submission's method, path, query, body and Content-Type; GW-ASYNC-08: no respond-async
    assert (entry["method"], entry["path"], entry["query"]) == ("POST", "/v1/predict", "mode=fast&x=%2F")
    assert (entry["body_size"], entry["body_sha256"]) == (len(body), sha256(body))
    assert header_values(entry, "content-type") == ["application/x-raw"]
    assert entry["prefer"] == "wait=10"
    # The container holds it for 0.6 s: the result is not ready yet (GW-RESULT-04 / -07).
    early = client.get(result_url(gateway_url), headers={"X-Inference-Id": inference_id})
    assert early.status_code == 202
    assert early.json() == {"Id": inference_id, "Status": "Inference", "Error": None}
    seen = poll_status(client, status_url(gateway_url), inference_id)
    statuses = [doc["Status"] for doc in seen]
    assert statuses == sorted(statuses, key=NAMES.index)  # GW-STATUS-02
    assert statuses[0] == "Inference" and statuses[-1] == "Completed"
    assert all(doc["Id"] == inference_id and doc["Error"] is None for doc in seen)  # GW-STATUS-06 / -08
    results = [client.get(result_url(gateway_url), headers={"X-Inference-Id": inference_id}) for _ in range(3)]
    for result in results:  # GW-RESULT-01 / -03 / -08 / -10
        assert result.status_code == 201
        assert result.json()["seq"] == entry["seq"]  # the mock's echo of this very request
        assert result.headers["content-type"] == "application/json"
        assert result.headers["x-model"] == "m1"
    assert results[0].content == results[1].content == results[2].content
    journal.wait_none_beyond(correlation, 1, timeout=0.2)  # GW-ASYNC-07: exactly once
    assert client.get(status_url(gateway_url), headers={"X-Inference-Id": inference_id}).json()["Status"] == "Completed"


def test_binary_result_keeps_bytes_and_content_type(client: httpx.Client, base: str, gateway_url: str,
                                                    correlation: str) -> None:
    payload = os.urandom(70_000)
    response = submit_async(client, f"{base}/img", correlation, headers={
        "X-Mock-Body-Base64": base64.b64encode(payload).decode(), "X-Mock-Content-Type": "image/png"})
    inference_id = response.json()["Id"]
    poll_status(client, status_url(gateway_url), inference_id)
    result = client.get(result_url(gateway_url), headers={"X-Inference-Id": inference_id})
    assert (result.status_code, result.content, result.headers["content-type"]) == (200, payload, "image/png")


@pytest.mark.parametrize("status", [400, 500, 503])
def test_container_failure_stays_visible(client: httpx.Client, base: str, gateway_url: str, correlation: str,
                                         status: int) -> None:  # GW-RESULT-02, GW-STATUS-08
    response = submit_async(client, f"{base}/fail", correlation, headers={
        "X-Mock-Status": str(status), "X-Mock-Body": "model exploded", "X-Mock-Content-Type": "text/plain"})
    inference_id = response.json()["Id"]
    final = poll_status(client, status_url(gateway_url), inference_id)[-1]
    assert isinstance(final["Error"], str) and str(status) in final["Error"]
    result = client.get(result_url(gateway_url), headers={"X-Inference-Id": inference_id})
    assert (result.status_code, result.text) == (status, "model exploded")


def test_client_supplied_id_is_used_and_reuse_is_refused(client: httpx.Client, base: str, gateway_url: str,
                                                         correlation: str) -> None:  # GW-ASYNC-10 / -11
    own_id = f"my-own-{uuid.uuid4()}"
    response = submit_async(client, f"{base}/x", correlation, headers={"X-Inference-Id": own_id})
    assert response.status_code == 202
    assert response.json()["Id"] == response.headers["x-inference-id"] == own_id
    poll_status(client, status_url(gateway_url), own_id)
    assert client.get(result_url(gateway_url), headers={"X-Inference-Id": own_id}).status_code == 200
    again = submit_async(client, f"{base}/x", correlation, headers={"X-Inference-Id": own_id})
    assert again.status_code == 409
    assert again.json()["header"] == "X-Inference-Id"


@pytest.mark.parametrize("bad_id", ["has space", "x" * 129, "caf\u00e9"])
def test_malformed_client_id_is_a_400_naming_the_header(client: httpx.Client, base: str, journal: Journal,
                                                        correlation: str, bad_id: str) -> None:
    response = submit_async(client, f"{base}/x", correlation, headers={"X-Inference-Id": bad_id.encode("utf-8")})
    assert response.status_code == 400
    assert response.json()["header"] == "X-Inference-Id"
    assert journal.entries(correlation) == []


@pytest.mark.parametrize("prefer", [None, "respond-async-proxy", "respond-async-container"])
def test_x_inference_id_is_checked_in_every_mode(client: httpx.Client, base: str, journal: Journal,
                                                 correlation: str, prefer: str | None) -> None:
    """The gateway's own header: a value that cannot be an Id is refused whatever the mode (one description
    of the operation, openapi.yaml); a valid one reaches the container like any other header."""
    headers = {"X-Mock-Correlation": correlation, **({"Prefer": prefer} if prefer else {})}
    refused = client.post(f"{base}/x", headers={**headers, "X-Inference-Id": "has space"})
    assert refused.status_code == 400 and refused.json()["header"] == "X-Inference-Id"
    passed = client.post(f"{base}/x", headers={**headers, "X-Inference-Id": "mine-1"})
    assert passed.status_code in (200, 202)
    (entry,) = journal.wait(correlation)
    assert header_values(entry, "x-inference-id") == ["mine-1"]


@pytest.mark.parametrize("route", ["status", "result"])
def test_unknown_and_missing_ids(client: httpx.Client, gateway_url: str, route: str) -> None:
    url = f"{gateway_url}/{route}/mock"
    assert client.get(url, headers={"X-Inference-Id": str(uuid.uuid4())}).status_code == 404  # GW-STATUS-04 / RESULT-06
    missing = client.get(url)
    assert missing.status_code == 400  # GW-STATUS-05 / RESULT-06
    assert missing.json()["header"] == "X-Inference-Id"
    assert client.get(f"{gateway_url}/{route}/nope", headers={"X-Inference-Id": "x"}).status_code == 404


async def _submit_many(base: str, correlation: str, bodies: list[bytes]) -> list[httpx.Response]:
    async with httpx.AsyncClient(timeout=10) as http:
        return await asyncio.gather(*[
            http.post(f"{base}/iso", content=body, headers={
                "Prefer": "respond-async", "X-Mock-Correlation": correlation, "X-Mock-Delay": "0.3"})
            for body in bodies
        ])


def test_concurrent_submissions_get_distinct_ids_and_their_own_results(client: httpx.Client, base: str,
                                                                       gateway_url: str, journal: Journal,
                                                                       correlation: str) -> None:
    bodies = [f"request {index} {uuid.uuid4()}".encode() for index in range(32)]
    responses = asyncio.run(_submit_many(base, correlation, bodies))
    assert all(response.status_code == 202 for response in responses)
    ids = [response.json()["Id"] for response in responses]
    assert len(set(ids)) == 32  # GW-ASYNC-06 (and uuid4: GW-ASYNC-09)
    journal.wait(correlation, 32)
    for inference_id, body in zip(ids, bodies, strict=True):  # GW-RESULT-05
        poll_status(client, status_url(gateway_url), inference_id)
        echo = client.get(result_url(gateway_url), headers={"X-Inference-Id": inference_id}).json()
        assert echo["body_sha256"] == sha256(body)
    journal.wait_none_beyond(correlation, 32, timeout=0.2)


# ------------------------------------------------------------- own gateways


@pytest.fixture(scope="module")
def one_worker(mock_url: str) -> Iterator[ManagedServer]:
    server = start_gateway(f"mock={mock_url}", args=("--workers", "1", "--status-encoding", "integers"))
    yield server
    server.stop()


def test_waiting_for_a_worker_shows_queue(client: httpx.Client, one_worker: ManagedServer, journal: Journal,
                                          correlation: str) -> None:
    first = submit_async(client, f"{one_worker.url}/mock/a", correlation, headers={"X-Mock-Delay": "1"}).json()["Id"]
    second = submit_async(client, f"{one_worker.url}/mock/b", correlation).json()["Id"]
    journal.wait(correlation, 1)  # the only worker is now busy with the first for 1 s
    url = status_url(one_worker.url)
    assert client.get(url, headers={"X-Inference-Id": first}).json()["Status"] == 2  # Inference
    assert client.get(url, headers={"X-Inference-Id": second}).json()["Status"] == 1  # Queue
    seen = poll_status(client, url, second, timeout=10)
    codes = [doc["Status"] for doc in seen]
    assert codes == sorted(codes) and codes[-1] == 3 and all(isinstance(code, int) for code in codes)
    assert [entry["path"] for entry in journal.wait(correlation, 2)] == ["/a", "/b"]


def test_results_expire_after_retention(client: httpx.Client, gateway_factory: Callable[..., ManagedServer],
                                        mock_url: str, correlation: str) -> None:
    gateway = gateway_factory(f"mock={mock_url}", args=("--retention", "1.5"))
    inference_id = submit_async(client, f"{gateway.url}/mock/x", correlation).json()["Id"]
    poll_status(client, status_url(gateway.url), inference_id)
    assert client.get(result_url(gateway.url), headers={"X-Inference-Id": inference_id}).status_code == 200
    deadline = time.monotonic() + 5
    while client.get(result_url(gateway.url), headers={"X-Inference-Id": inference_id}).status_code == 200:
        assert time.monotonic() < deadline, "result still readable 5 s after a 1.5 s retention"
        time.sleep(0.1)
    assert client.get(result_url(gateway.url), headers={"X-Inference-Id": inference_id}).status_code == 404
    assert client.get(status_url(gateway.url), headers={"X-Inference-Id": inference_id}).status_code == 404


def test_ids_of_one_deployment_are_not_readable_through_another(client: httpx.Client, mock_url: str,
                                                                gateway_factory: Callable[..., ManagedServer],
                                                                correlation: str) -> None:  # GW-SEC-01
    gateway = gateway_factory(f"one={mock_url}", f"two={mock_url}")
    accepted = submit_async(client, f"{gateway.url}/one/x", correlation).json()
    assert accepted["StatusPath"] == "/status/one"
    poll_status(client, status_url(gateway.url, "one"), accepted["Id"])
    for route in ("status", "result"):
        other = client.get(f"{gateway.url}/{route}/two", headers={"X-Inference-Id": accepted["Id"]})
        assert other.status_code == 404


def test_unreachable_and_silent_containers_complete_with_502_and_504(
        client: httpx.Client, mock_url: str, gateway_factory: Callable[..., ManagedServer], journal: Journal,
        correlation: str) -> None:  # GW-RESULT-09
    gateway = gateway_factory(f"dead=http://127.0.0.1:{free_port()}", f"mock={mock_url}",
                              args=("--container-timeout", "1"))
    cases = {
        "dead": ({}, 502),
        "mock": ({"X-Mock-Fault": "hang"}, 504),
    }
    for deployment, (headers, expected) in cases.items():
        started = time.monotonic()
        accepted = submit_async(client, f"{gateway.url}/{deployment}/x", correlation, headers=headers)
        assert accepted.status_code == 202
        final = poll_status(client, status_url(gateway.url, deployment), accepted.json()["Id"], timeout=7)[-1]
        assert time.monotonic() - started < 7  # T_done = D + 5
        assert isinstance(final["Error"], str) and final["Error"]
        result = client.get(result_url(gateway.url, deployment), headers={"X-Inference-Id": accepted.json()["Id"]})
        assert result.status_code == expected
        assert result.json()["error"]


@pytest.mark.parametrize("fault", ["close", "reset", "garbage"])
def test_broken_container_answers_become_502(client: httpx.Client, base: str, gateway_url: str,
                                             correlation: str, fault: str) -> None:
    accepted = submit_async(client, f"{base}/x", correlation, headers={"X-Mock-Fault": fault})
    inference_id = accepted.json()["Id"]
    final = poll_status(client, status_url(gateway_url), inference_id)[-1]
    assert final["Error"]
    assert client.get(result_url(gateway_url), headers={"X-Inference-Id": inference_id}).status_code == 502
