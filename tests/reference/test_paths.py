"""A request cannot leave its deployment (issue #14): `..` segments that would
climb above `/{deployment}/`, however encoded, are refused before anything
is read or forwarded; every other path reaches the container as sent
(GW-SYNC-05), control characters included."""

from __future__ import annotations

import httpx
import pytest

from conformance.reference.paths import climbs_out

from .harness import Journal, raw_request

CLIMBING = [
    "/mock/..",
    "/mock/../status/other",
    "/mock/../other/x",
    "/mock/a/../../other/x",
    "/mock/%2e%2e/other/x",
    "/mock/%2E%2E%2Fother",
    "/mock/.%2e/other",
    "/mock/..%2F..%2Fother/x",
    "/mock/a%2F..%2F..%2Fother",
    "/mock/..%5Cother",
    "/mock/..;/other",
    "/mock/x/..%2f..%2f..%2fother?q=1",
]

INSIDE = [
    "/mock/a/../b",
    "/mock/a/./b",
    "/mock/a%2Fb",
    "/mock/a%2F..%2Fb",
    "/mock/...",
    "/mock/..a/b",
    "/mock/a%0Ab",
    "/mock/a%00b%09c%1B",
]


@pytest.mark.parametrize("prefer", [None, "respond-async", "respond-async-proxy", "respond-async-container"])
@pytest.mark.parametrize("target", CLIMBING)
def test_paths_climbing_out_of_the_deployment_are_refused(gateway_url: str, journal: Journal, correlation: str,
                                                          target: str, prefer: str | None) -> None:
    headers = [("X-Mock-Correlation", correlation), *([("Prefer", prefer)] if prefer else [])]
    response = raw_request(gateway_url, "POST", target, headers, b"{}")
    assert response.status_code == 400, (target, response.status_code, response.text)
    error = response.json()["error"]
    path = target.removeprefix("/mock").split("?")[0]
    assert f"path '{path}'" in error and "leave deployment 'mock'" in error, error
    assert journal.entries(correlation) == []  # never forwarded, to this container or any other


def test_a_deployment_segment_holding_an_encoded_slash_is_no_deployment(gateway_url: str, journal: Journal,
                                                                        correlation: str) -> None:
    response = raw_request(gateway_url, "GET", "/mock%2F..%2Fother/x", [("X-Mock-Correlation", correlation)])
    assert response.status_code == 404, response.text
    assert "mock%2F..%2Fother" in response.json()["error"]
    assert journal.entries(correlation) == []


@pytest.mark.parametrize("target", INSIDE)
def test_other_paths_reach_the_container_as_sent(gateway_url: str, journal: Journal, correlation: str,
                                                 target: str) -> None:
    response = raw_request(gateway_url, "POST", target, [("X-Mock-Correlation", correlation)], b"{}")
    assert response.status_code == 200, response.text
    (entry,) = journal.wait(correlation)
    assert entry["path"] == target.removeprefix("/mock")


def test_status_and_result_routes_cannot_be_reached_from_a_deployment(client: httpx.Client, gateway_url: str,
                                                                       base: str, correlation: str) -> None:
    accepted = client.post(f"{base}/x", headers={"Prefer": "respond-async", "X-Mock-Correlation": correlation})
    inference_id = accepted.json()["Id"]
    for route in ("status", "result"):
        response = raw_request(gateway_url, "GET", f"/mock/../{route}/mock", [("X-Inference-Id", inference_id)])
        assert response.status_code == 400 and inference_id not in response.text, response.text


@pytest.mark.parametrize(("path", "climbs"), [
    (b"/", False), (b"/a/b", False), (b"/a/..", False), (b"/a/b/../../c", False), (b"/a%2Fb/..", False),
    (b"/..", True), (b"/a/../..", True), (b"/%2e%2E", True), (b"/a/%2e%2e/%2E%2E/x", True),
    (b"/..%2fx", True), (b"/a%2f..%2f..", True), (b"/..%5c", True), (b"/..;v=1/x", True),
    (b"/a%2Fb/../../x", True),  # climbs as written, not once decoded: either reading is enough
    (b"//../x", True),  # empty segments count for nothing (servers may merge slashes)
])
def test_climbing_is_judged_under_both_readings(path: bytes, climbs: bool) -> None:
    assert climbs_out(path) is climbs
