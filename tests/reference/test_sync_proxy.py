"""Synchronous mode: a faithful reverse proxy (GW-SYNC-01..04, GW-PREF-02/03)."""

from __future__ import annotations

import base64
import json
import os
import time

import httpx
import pytest

from .harness import Journal, entry_body, header_values, poll_status, sha256


def test_post_reaches_the_container_once_with_everything(client: httpx.Client, base: str, journal: Journal,
                                                          correlation: str) -> None:  # GW-SYNC-01
    body = bytes(range(256)) * 4096 + b"\xff\xfe"  # 1 MiB + 2 bytes, not UTF-8
    response = client.post(
        f"{base}/v1/generate?b=2&a=1&a=%20x",
        content=body,
        headers={"Content-Type": "application/octet-stream", "X-Mock-Correlation": correlation, "X-Custom": "kept"},
    )
    assert response.status_code == 200
    (entry,) = journal.wait_none_beyond(correlation, 1, timeout=0.5)
    assert (entry["method"], entry["path"], entry["query"]) == ("POST", "/v1/generate", "b=2&a=1&a=%20x")
    assert (entry["body_size"], entry["body_sha256"]) == (len(body), sha256(body))
    assert header_values(entry, "content-type") == ["application/octet-stream"]
    assert header_values(entry, "x-custom") == ["kept"]  # GW-SYNC-03
    assert entry["prefer"] is None  # GW-PREF-02
    echo = response.json()
    assert echo["seq"] == entry["seq"]


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_every_method_is_forwarded(client: httpx.Client, base: str, journal: Journal, correlation: str,
                                   method: str) -> None:  # GW-SYNC-01 / -03
    content = b"" if method in ("GET", "OPTIONS") else b'{"x": 1}'
    response = client.request(method, f"{base}/items/7?q=1", content=content,
                              headers={"X-Mock-Correlation": correlation, "Content-Type": "application/json"})
    assert response.status_code == 200
    (entry,) = journal.wait(correlation)
    assert (entry["method"], entry["path"], entry["query"], entry_body(entry)) == (method, "/items/7", "q=1", content)


def test_head_is_forwarded(client: httpx.Client, base: str, journal: Journal, correlation: str) -> None:
    response = client.head(f"{base}/h", headers={"X-Mock-Correlation": correlation})
    assert response.status_code == 200 and response.content == b""
    assert journal.wait(correlation)[0]["method"] == "HEAD"


def test_the_raw_path_is_kept_and_the_root_is_reachable(client: httpx.Client, base: str, journal: Journal,
                                                        correlation: str) -> None:
    headers = {"X-Mock-Correlation": correlation}
    client.get(f"{base}/a%2Fb/c%20d", headers=headers)
    client.get(base, headers=headers)  # no trailing slash: the container's /
    client.get(f"{base}/", headers=headers)
    paths = [entry["path"] for entry in journal.wait(correlation, 3)]
    assert paths == ["/a%2Fb/c%20d", "/", "/"]


def test_container_sees_the_clients_headers_not_the_gateways(base: str, mock_url: str, journal: Journal,
                                                             correlation: str) -> None:
    with httpx.Client(timeout=10) as bare:
        bare.headers.clear()  # no User-Agent / Accept of the test's own
        bare.post(f"{base}/x", content=b"abc", headers={
            "X-Mock-Correlation": correlation,
            "Connection": "keep-alive, X-Hop-Only",
            "X-Hop-Only": "1",
            "Keep-Alive": "timeout=5",
            "TE": "trailers",
            "X-Multi": "one",
        })
    (entry,) = journal.wait(correlation)
    names = [name for name, _ in entry["headers"]]
    assert sorted(names) == ["content-length", "host", "x-mock-correlation", "x-multi"]
    assert header_values(entry, "host") == [mock_url.removeprefix("http://")]


@pytest.mark.parametrize("status", [200, 201, 404, 418, 500, 503])
def test_status_body_and_headers_come_back_unchanged(client: httpx.Client, base: str, status: int,
                                                     correlation: str) -> None:  # GW-SYNC-02
    payload = os.urandom(3000)
    response = client.post(f"{base}/r", headers={
        "X-Mock-Correlation": correlation,
        "X-Mock-Status": str(status),
        "X-Mock-Body-Base64": base64.b64encode(payload).decode(),
        "X-Mock-Content-Type": "image/x-test",
        "X-Mock-Headers": json.dumps({"X-Model-Version": "7", "Set-Cookie": "a=1"}),
    })
    assert (response.status_code, response.content) == (status, payload)
    assert response.headers["content-type"] == "image/x-test"
    assert response.headers["x-model-version"] == "7"  # GW-SYNC-03


@pytest.mark.parametrize("value", ["wait=5", "return=minimal", "handling=lenient", "made-up", "",
                                   "respond-asyncx", "xrespond-async", "respond_async", "respond-async-proxyx",
                                   "respond-async-containers", "respond-async-", "wait=5 ;  a=\"b, c\""])
def test_other_prefer_values_reach_the_container_byte_for_byte(client: httpx.Client, base: str, journal: Journal,
                                                               correlation: str, value: str) -> None:
    response = client.post(f"{base}/p", content=b"{}", headers={"Prefer": value, "X-Mock-Correlation": correlation})
    assert response.status_code == 200  # GW-PREF-03 / -04: processed synchronously
    (entry,) = journal.wait_none_beyond(correlation, 1, timeout=0.3)
    assert header_values(entry, "prefer") == [value]


def test_several_prefer_lines_reach_the_container_as_they_were(base: str, journal: Journal, correlation: str) -> None:
    request = httpx.Request("POST", f"{base}/p", content=b"{}", headers=[
        ("Prefer", "wait=5"), ("X-Mock-Correlation", correlation), ("Prefer", "return=minimal")])
    with httpx.Client(timeout=10) as http:
        assert http.send(request).status_code == 200
    (entry,) = journal.wait(correlation)
    assert header_values(entry, "prefer") == ["wait=5", "return=minimal"]


def test_16_mib_body_passes(client: httpx.Client, base: str, journal: Journal, correlation: str) -> None:  # GW-SYNC-03
    body = os.urandom(16 * 1024 * 1024)
    response = client.put(f"{base}/big", content=body, headers={"X-Mock-Correlation": correlation})
    assert response.status_code == 200
    entry = journal.wait(correlation)[0]
    assert (entry["body_size"], entry["body_sha256"]) == (len(body), sha256(body))


@pytest.mark.parametrize("style", ["chunked", "sse"])
def test_streams_arrive_incrementally(base: str, journal: Journal, correlation: str, style: str) -> None:  # GW-SYNC-04
    arrivals: list[float] = []
    chunks: list[bytes] = []
    with httpx.Client(timeout=10) as http, http.stream("GET", f"{base}/stream", headers={
        "X-Mock-Correlation": correlation, "X-Mock-Stream": style,
        "X-Mock-Stream-Count": "4", "X-Mock-Stream-Interval": "0.4",
    }) as response:
        assert response.status_code == 200
        for chunk in response.iter_raw():
            arrivals.append(time.time())
            chunks.append(chunk)
    # The container takes 3 x 0.4 s from its first chunk to its last, counted from when it got the
    # request (its journal's clock, the same machine's): a buffering gateway delivers nothing before the
    # end. A client reading late (a loaded machine) only makes the first arrival later, so a first chunk
    # before the end is proof, and the bound holds however slow the test process is.
    assert len(chunks) >= 2
    (entry,) = journal.wait(correlation)
    assert arrivals[0] < entry["time"] + 3 * 0.4, (arrivals[0] - entry["time"], arrivals[-1] - entry["time"])
    if style == "sse":
        assert response.headers["content-type"].startswith("text/event-stream")


def test_the_gateway_keeps_no_cookies_between_clients(client: httpx.Client, base: str, journal: Journal,
                                                      correlation: str) -> None:
    first = client.get(f"{base}/login", headers={
        "X-Mock-Correlation": correlation, "X-Mock-Headers": json.dumps({"Set-Cookie": "session=alice; Path=/"})})
    assert first.headers["set-cookie"] == "session=alice; Path=/"  # relayed to the client that got it
    with httpx.Client(timeout=10) as someone_else:
        someone_else.get(f"{base}/me", headers={"X-Mock-Correlation": correlation})
    entries = journal.wait(correlation, 2)
    assert header_values(entries[1], "cookie") == []


def test_hop_by_hop_response_headers_stay_behind(client: httpx.Client, base: str, gateway_url: str,
                                                 correlation: str) -> None:
    hops = json.dumps({"Connection": "X-Resp-Hop", "X-Resp-Hop": "1", "Keep-Alive": "timeout=99", "X-End": "2"})
    relayed = client.get(f"{base}/h", headers={"X-Mock-Correlation": correlation, "X-Mock-Headers": hops})
    accepted = client.get(f"{base}/h", headers={"X-Mock-Correlation": correlation, "X-Mock-Headers": hops,
                                                "Prefer": "respond-async"}).json()
    poll_status(client, f"{gateway_url}/status/mock", accepted["Id"])
    stored = client.get(f"{gateway_url}/result/mock", headers={"X-Inference-Id": accepted["Id"]})
    for response in (relayed, stored):
        assert response.status_code == 200 and response.headers["x-end"] == "2"
        assert "x-resp-hop" not in response.headers
        assert "timeout=99" not in response.headers.get("keep-alive", "")
