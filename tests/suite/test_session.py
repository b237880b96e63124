"""The recording transport, the gateway client on it, and the mock control client."""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import struct
import threading

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


# ------------------------------------------------ the resend of an idempotent request


class DroppingServer:
    """A loopback HTTP server that reads each request and closes the connection without answering,
    the first `drops` times; afterwards it answers 200 "ok". It counts the requests it read."""

    def __init__(self, drops: int) -> None:
        self.drops = drops
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5.0)
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            if length:
                await asyncio.wait_for(reader.readexactly(length), 5.0)
            self.requests.append(head.split(b"\r\n", 1)[0])
            if len(self.requests) > self.drops:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        finally:
            writer.close()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/mock"

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


def _through(server: DroppingServer, method: str) -> tuple[httpx.Response | NoAnswer, Transcript]:
    """Send one request through a real pooled transport to `server`; the answer or the NoAnswer raised."""

    async def go() -> tuple[httpx.Response | NoAnswer, Transcript]:
        transcript = Transcript("resend", Recorder())
        async with server as base, WireTransport() as wire:
            client = GatewayClient(recording_client(wire, transcript, "gateway", timeout=5.0), base=base, timeout=5.0)
            try:
                return await client.request(method, client.url("/result"), purpose="result"), transcript
            except NoAnswer as no_answer:
                return no_answer, transcript

    return asyncio.run(go())


def test_a_get_whose_connection_closed_unanswered_is_sent_once_more_and_both_tries_are_recorded() -> None:
    """A server may close an idle keep-alive connection as a request goes out on it (RFC 9110 §9.2.2)."""
    server = DroppingServer(drops=1)
    response, transcript = _through(server, "GET")
    assert isinstance(response, httpx.Response) and response.status_code == 200 and response.text == "ok"
    assert [line.split()[0] for line in server.requests] == [b"GET", b"GET"]
    first, second = transcript.exchanges
    assert first.response is None and first.error and second.response is not None and second.response.status == 200
    assert first.request.url == second.request.url and response.extensions["conformance_seq"] == second.seq


def test_a_get_dropped_every_time_fails_pointing_at_both_tries() -> None:
    server = DroppingServer(drops=10)
    no_answer, transcript = _through(server, "GET")
    assert isinstance(no_answer, NoAnswer), no_answer
    assert len(server.requests) == 2  # one resend, not more
    assert no_answer.exchanges == [record.seq for record in transcript.exchanges] and len(no_answer.exchanges) == 2
    assert all(record.response is None and record.error for record in transcript.exchanges)
    assert "gave no answer to GET" in no_answer.reason


def test_a_post_whose_connection_closed_is_never_sent_again() -> None:
    """A POST may have been acted on before the connection closed: resending it could run an inference twice."""
    server = DroppingServer(drops=1)
    no_answer, transcript = _through(server, "POST")
    assert isinstance(no_answer, NoAnswer)
    assert len(server.requests) == 1 and len(transcript.exchanges) == 1


class StaleKeepAliveServer:
    """Answers the first request of each connection and keeps it open; a later request on the same connection is
    read and the connection closed unanswered: what a server does to a keep-alive connection it timed out just as
    the client reused it (the client sees a ReadError or a disconnect).

    `reset`: the later request gets a reset instead, which is what the server's kernel answers when a request
    reaches a connection the server already closed. `answered` holds each answered request's method and body."""

    def __init__(self, *, reset: bool = False) -> None:
        self.reset = reset
        self.connections = 0
        self.dropped = 0
        self.answered: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5.0)
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            body = await asyncio.wait_for(reader.readexactly(length), 5.0) if length else b""
            self.answered.append(head.split(b" ", 1)[0] + b" " + body)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10.0)
            self.dropped += 1
            if self.reset:
                writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/mock"

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


def test_the_resend_goes_out_on_a_fresh_connection_not_on_another_pooled_one() -> None:
    """After a burst, every pooled connection is as old as the one that was just dropped; a resend through the pool
    meets the next stale one (the ReadError seen once under heavy parallel load)."""
    server = StaleKeepAliveServer()

    async def go() -> tuple[httpx.Response | NoAnswer, Transcript]:
        transcript = Transcript("stale", Recorder())
        async with server as base, WireTransport() as wire:
            client = GatewayClient(recording_client(wire, transcript, "gateway", timeout=5.0), base=base, timeout=5.0)
            url = client.url("/result")
            await asyncio.gather(*(client.request("GET", url) for _ in range(4)))  # four pooled connections
            try:
                return await client.request("GET", url, purpose="result"), transcript
            except NoAnswer as no_answer:
                return no_answer, transcript

    response, transcript = asyncio.run(go())
    assert isinstance(response, httpx.Response) and response.status_code == 200, response
    assert server.dropped == 1 and server.connections == 5
    *_, dropped, resent = transcript.exchanges
    assert dropped.response is None and resent.response is not None and resent.purpose == "result"


def _second_post_on_a_reused_connection(server: StaleKeepAliveServer,
                                        body: bytes) -> tuple[httpx.Response | NoAnswer, Transcript]:
    async def go() -> tuple[httpx.Response | NoAnswer, Transcript]:
        transcript = Transcript("reused", Recorder())
        async with server as base, WireTransport() as wire:
            client = GatewayClient(recording_client(wire, transcript, "gateway", timeout=5.0), base=base, timeout=5.0)
            url = client.url("/v1/generate")
            await client.request("POST", url, content=b"first", purpose="first")
            try:
                return await client.request("POST", url, content=body, purpose="second"), transcript
            except NoAnswer as no_answer:
                return no_answer, transcript

    return asyncio.run(go())


def test_a_post_whose_reused_connection_was_reset_before_any_answer_goes_once_more_on_a_fresh_one() -> None:
    """The reset says no server read it (RFC 9110 §9.2.2): the POST the CI runs once lost to a keep-alive race."""
    server = StaleKeepAliveServer(reset=True)
    response, transcript = _second_post_on_a_reused_connection(server, b"second")
    assert isinstance(response, httpx.Response) and response.status_code == 200, response
    assert server.answered == [b"POST first", b"POST second"] and server.dropped == 1
    _first, reset, resent = transcript.exchanges
    assert reset.response is None and "reused keep-alive connection" in (reset.error or ""), reset.error
    assert resent.response is not None and resent.purpose == reset.purpose == "second"


def test_a_post_whose_reused_connection_closed_after_it_was_read_is_not_sent_again() -> None:
    """A close that is no reset (the server read the request, then hung up) may follow an inference: no resend."""
    server = StaleKeepAliveServer()
    no_answer, transcript = _second_post_on_a_reused_connection(server, b"")
    assert isinstance(no_answer, NoAnswer), no_answer
    assert server.dropped == 1 and server.connections == 1 and len(transcript.exchanges) == 2


def _drops_first_connection() -> tuple[socket.socket, list[int]]:
    """A server that reads the first request and closes without answering, then answers 200 on new connections."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    served: list[int] = []

    def serve() -> None:
        for index in range(2):
            conn, _ = server.accept()
            with conn:
                conn.recv(65536)
                served.append(index)
                if index:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    threading.Thread(target=serve, daemon=True).start()
    return server, served


@pytest.mark.parametrize("resend", [True, False])
def test_the_instruments_pool_resends_a_get_whose_connection_closed_on_a_fresh_one(resend: bool) -> None:
    """The suite's own instruments (the mock's control API) never blame a keep-alive race on anyone."""
    server, served = _drops_first_connection()
    url = f"http://127.0.0.1:{server.getsockname()[1]}/_mock/journal"

    async def go() -> httpx.Response:
        async with WireTransport(resend=resend) as wire, httpx.AsyncClient(transport=wire, timeout=5.0) as http:
            return await http.get(url)

    try:
        if resend:
            assert asyncio.run(go()).text == "ok" and served == [0, 1]
        else:
            with pytest.raises(httpx.HTTPError):
                asyncio.run(go())
            assert served == [0]
    finally:
        server.close()
