"""The recording transport, the gateway client on it, and the mock control client."""

from __future__ import annotations

import asyncio
import hashlib
import json

import httpx
import pytest

from conformance.judge.model import BodyRecord
from conformance.checks.client import GatewayClient, NoAnswer
from conformance.checks.instrument import MockControl, annotate_mock_entries
from conformance.http.recording import Recorder, Transcript, current_case, recording_client
from conformance.http.wire import WireTransport
from mock_container.client import AsyncMockClient


def test_body_records_keep_text_and_mark_binary_and_truncation() -> None:
    text = BodyRecord.of("héllo".encode())
    assert (text.size, text.binary, text.text, text.truncated) == (6, False, "héllo", False)
    assert text.sha256 == hashlib.sha256("héllo".encode()).hexdigest()
    binary = BodyRecord.of(b"\xff\xfe\x00abc")
    assert binary.binary and binary.text is None and binary.size == 6
    long = BodyRecord.of(b"x" * 5000, keep=100)
    assert long.truncated and long.text == "x" * 100 and long.size == 5000


def _client(handler, transcript: Transcript, **kwargs) -> GatewayClient:  # type: ignore[no-untyped-def]
    http = recording_client(httpx.MockTransport(handler), transcript, "gateway", timeout=3.0)
    return GatewayClient(http, base="http://gw.test/mock", timeout=3.0, **kwargs)


def test_every_exchange_is_recorded_with_extra_headers_added_and_credentials_redacted() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202, json={"Id": "x"}, headers={"X-Inference-Id": "x"})

    recorder = Recorder(redact=["X-Secret"])
    transcript = Transcript("demo", recorder)
    client = _client(handler, transcript, extra_headers=[("Authorization", "Bearer KEY"), ("X-Secret", "s3")])

    async def go() -> httpx.Response:
        token = current_case.set("case one")
        try:
            return await client.request("POST", client.url("/v1/x", [("a", "1 2"), ("mock-delay", "2.0")]),
                                        headers=[("Prefer", "respond-async")], content=b'{"p": 1}', purpose="submit")
        finally:
            current_case.reset(token)

    response = asyncio.run(go())
    assert seen[0].headers["authorization"] == "Bearer KEY"  # sent for real
    assert str(seen[0].url) == "http://gw.test/mock/v1/x?a=1%202&mock-delay=2.0"
    (record,) = transcript.exchanges
    assert response.extensions["conformance_seq"] == record.seq
    headers = dict(record.request.headers)
    assert headers["Authorization"] == headers["X-Secret"] == "<redacted>"
    assert headers["Prefer"] == "respond-async"
    assert (record.case, record.purpose, record.target) == ("case one", "submit", "gateway")
    assert record.request.body.text == '{"p": 1}'
    assert record.response is not None and record.response.status == 202
    assert json.loads(record.response.body.text) == {"Id": "x"}
    assert record.elapsed is not None and record.elapsed >= 0 and record.started_at > 1e9
    assert transcript.seqs("case one") == [record.seq] and transcript.seqs("other") == []


def test_a_check_header_wins_over_an_extra_header_of_the_same_name() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    client = _client(handler, Transcript("demo", Recorder()), extra_headers=[("Content-Type", "text/plain")])
    asyncio.run(client.request("POST", client.url("/x"), headers=[("Content-Type", "application/json")], content=b"{}"))
    assert seen[0].headers.get_list("content-type") == ["application/json"]


def test_no_answer_is_a_failure_that_points_at_its_exchange() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    transcript = Transcript("demo", Recorder())
    client = _client(handler, transcript)
    with pytest.raises(NoAnswer) as info:
        asyncio.run(client.request("GET", client.url("/x")))
    (record,) = transcript.exchanges
    assert "ConnectError" in info.value.reason and info.value.exchanges == [record.seq]
    assert record.response is None and "connection refused" in record.error


def test_raw_headers_go_on_the_wire_as_given(mock_url: str) -> None:
    """httpx refuses a Prefer value with surrounding spaces; the raw path sends it (the mock journals it)."""

    async def go():  # type: ignore[no-untyped-def]
        async with WireTransport() as wire:
            transcript = Transcript("raw", Recorder())
            client = GatewayClient(recording_client(wire, transcript, "gateway", timeout=5.0), base=mock_url, timeout=5.0)
            url = client.url("/raw", [("mock-correlation", "raw-ws-1")])
            response = await client.raw("POST", url, headers=[("Content-Type", "text/plain")],
                                        raw_headers=[("Prefer", b"   wait=5  ")], content=b"hi")
            mock = MockControl(AsyncMockClient(
                recording_client(wire, transcript, "mock", timeout=10.0, annotate=annotate_mock_entries), mock_url))
            entries = await mock.wait_journal("raw-ws-1", 1, 5.0)
            return response, entries, transcript

    response, entries, transcript = asyncio.run(go())
    assert response.status_code == 200
    assert entries[0].body == b"hi" and entries[0].content_type == "text/plain"
    assert [v.strip() for v in entries[0].header_values("prefer")] == ["wait=5"]
    raw_record, journal_record = transcript.exchanges
    assert raw_record.request.headers[-1] == ("Prefer", "   wait=5  ")
    assert raw_record.response is not None and raw_record.response.status == 200 and raw_record.target == "gateway"
    assert journal_record.target == "mock" and [e.key for e in journal_record.mock_entries] == ["raw-ws-1"]


def test_journal_and_webhook_waits_are_bounded_long_polls(mock_url: str) -> None:
    async def go():  # type: ignore[no-untyped-def]
        async with httpx.AsyncClient() as http:
            mock = MockControl(AsyncMockClient(recording_client(httpx.AsyncHTTPTransport(), Transcript("waits", Recorder()),
                                                                "mock", timeout=10.0), mock_url))
            loop = asyncio.get_running_loop()
            started = loop.time()
            empty = await mock.wait_journal("never-sent-correlation", 1, 0.3)
            waited = loop.time() - started
            pending = asyncio.create_task(mock.wait_journal("sent-later", 1, 5.0))
            await http.post(f"{mock_url}/late?mock-correlation=sent-later", content=b"x")
            arrived = await pending
            hook = await http.post(mock.webhook_url("k-1"), content=b"{}")
            deliveries = await mock.wait_webhooks("k-1", 1, 5.0)
            return empty, waited, arrived, hook.status_code, deliveries

    empty, waited, arrived, hook_status, deliveries = asyncio.run(go())
    assert empty == [] and 0.2 < waited < 3.0
    assert [e.path for e in arrived] == ["/late"]
    assert hook_status == 200 and len(deliveries) == 1
