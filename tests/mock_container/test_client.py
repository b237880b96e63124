"""The mock's own client of its control API (mock_container.client), against real
servers: the mock itself, the reference gateway in front of it, a static web
server that is no mock, and a port where nothing listens."""

from __future__ import annotations

import asyncio
import base64
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conformance.runs.launcher import ManagedServer, free_port, python_command
from mock_container import client as client_module
from mock_container.client import PURPOSE, AsyncMockClient, JournalEntry, MockClient, MockError
from tests.mock_container.helpers import mock_headers

KEY = "client-key"


@pytest.fixture(scope="module")
def gateway(mock_url: str) -> Iterator[ManagedServer]:
    """The reference gateway, with an API key, routing deployment `mock` to the shared mock."""
    server = ManagedServer(python_command("conformance", "gateway", "--port", "{port}", "--deployment",
                                          f"mock={mock_url}", "--api-key", KEY), name="reference-gateway").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def static_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagedServer]:
    """A plain web server whose `/_mock/journal` is an HTML page (served as a file without extension)."""
    root: Path = tmp_path_factory.mktemp("site")
    (root / "_mock").mkdir()
    (root / "_mock" / "journal").write_text("<html><body>" + "Welcome to the gateway! " * 500 + "</body></html>")
    server = ManagedServer([sys.executable, "-m", "http.server", "{port}", "--bind", "127.0.0.1", "--directory",
                            str(root)], name="static-site", health_path="/").start()
    yield server
    server.stop()


def test_journal_entries_read_into_dataclasses(mock, corr):
    mock.post("/c?x=1", content=b"\x00body", headers={"X-Mock-Correlation": corr, "Prefer": "wait=5"})
    page = mock.control.wait_journal(corr, 1, timeout=5)
    [entry] = page.records
    assert isinstance(entry, JournalEntry)
    assert (entry.method, entry.path, entry.query, entry.body, entry.prefer) == ("POST", "/c", "x=1", b"\x00body",
                                                                                 "wait=5")
    assert entry.header_values("X-MOCK-CORRELATION") == [corr] and entry.correlation == corr
    assert (entry.status, entry.behaviour, entry.error, entry.body_size) == (200, {"correlation": corr}, None, 5)
    assert page.timed_out is False and page.last_seq >= entry.seq >= page.first_seq
    assert entry.raw["body_base64"] == base64.b64encode(b"\x00body").decode()


def test_scenarios_health_stats_and_tasks(mock, corr):
    control = mock.control
    name = "cl-" + uuid.uuid4().hex[:10]
    created = control.put_scenario(name, {"status": 418, "delay": 0})
    assert (created.name, created.fields, created.created) == (name, {"status": 418, "delay": 0.0}, True)
    assert control.put_scenario(name, {"status": 419}).created is False
    assert control.scenarios()[name] == {"status": 419}
    assert control.delete_scenario(name) is True and control.delete_scenario(name) is False
    assert control.health().ready
    assert control.stats()["received"] >= 0
    accepted = mock.get(headers={"Prefer": "respond-async", **mock_headers(correlation=corr, delay=0.3,
                                                                          **{"async": "task-id"})})
    task_id = accepted.json()["task_id"]
    assert control.task(task_id).pending
    page = control.wait_journal(corr, 1, timeout=5)
    assert page.records[0].status == 202
    assert control.task("never-issued").unknown


def test_refusals_carry_the_mocks_error_document(mock):
    with pytest.raises(MockError) as caught:
        mock.control.journal(limit=0)
    error = caught.value
    assert error.status == 400 and error.document["field"] == "limit"
    assert "refused" in str(error) and "limit" in str(error) and error.url.endswith("limit=0")
    with pytest.raises(MockError, match="refused.*scenario"):
        mock.control.put_scenario("bad", {"status": "not a number"})


def test_nothing_listening_is_one_clear_error():
    port = free_port()
    with httpx.Client(timeout=2) as http, pytest.raises(MockError) as caught:
        MockClient(http, f"http://127.0.0.1:{port}").health()
    assert caught.value.status is None and "did not answer" in str(caught.value)
    assert f"127.0.0.1:{port}/health" in caught.value.url


def test_a_web_page_is_not_a_mock_container(static_site):
    with httpx.Client(timeout=5) as http:
        control = MockClient(http, static_site.url)
        with pytest.raises(MockError) as caught:
            control.journal()
        error = caught.value
        assert error.status == 200 and "not a mock container (it answered application/octet-stream" in str(error)
        assert error.excerpt.startswith("<html><body>Welcome") and len(error.excerpt) <= 203
        assert len(str(error)) < 600  # bounded, whatever the page's size
        assert error.__suppress_context__  # no JSON decoding traceback chained under it
        with pytest.raises(MockError, match="not a mock container") as caught:
            control.health()  # 404 with an HTML body
        assert caught.value.status == 404


def test_json_that_is_not_the_control_apis_is_named(mock):
    """The mock's inference side under a wrong base URL answers JSON (its echo), but not the
    control API's: the error names what is missing, never a KeyError deep in a caller."""
    with httpx.Client(timeout=5) as http:
        control = MockClient(http, mock.url + "/v1")
        with pytest.raises(MockError, match=r"not a mock container \(no `version`; status 200\)"):
            control.info()
        with pytest.raises(MockError, match=r"not a mock container \(no `entries`; status 200\)"):
            control.journal()


def test_through_a_gateway_with_credentials(mock, gateway, corr):
    direct = mock.control.info()
    with httpx.Client(timeout=10) as http:
        through = MockClient(http, f"{gateway.url}/mock", headers={"Authorization": f"Bearer {KEY}"})
        assert through.info().instance == direct.instance
        mock.get(headers={"X-Mock-Correlation": corr})
        page = through.wait_journal(corr, 1, timeout=5)
        assert [entry.correlation for entry in page.records] == [corr]
        assert through.sink_url("k/1") == f"{gateway.url}/mock/_mock/webhooks/k%2F1"
        with pytest.raises(MockError) as caught:
            MockClient(http, f"{gateway.url}/mock").journal()
        assert caught.value.status == 401 and "not a mock container" in str(caught.value)
        assert "credentials" in str(caught.value)
        with pytest.raises(MockError, match="not a mock container"):
            MockClient(http, f"{gateway.url}/no-such-deployment", headers={"Authorization": f"Bearer {KEY}"}).info()


def test_an_incompatible_control_api_is_refused(mock, monkeypatch):
    monkeypatch.setattr(client_module, "API_VERSION", 2)  # a client written for a later API
    with pytest.raises(MockError, match="speaks control API 1; this client speaks 2"):
        mock.control.info()
    assert mock.control.info(check_api=False).api == 1


class Recording(httpx.HTTPTransport):
    """A transport that notes every exchange, as the suite's transcript does."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str, str | None, str | None]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, request.url.path, request.headers.get("authorization"),
                          request.extensions.get(PURPOSE)))
        return super().handle_request(request)


def test_every_call_goes_through_the_callers_transport_with_headers_and_purpose(mock, corr):
    transport = Recording()
    with httpx.Client(transport=transport, timeout=10) as http:
        control = MockClient(http, mock.url + "/", headers={"Authorization": "Bearer anything"})
        control.health()
        control.journal(corr)
        control.wait_webhooks("none-" + corr, 1, timeout=0)
        control.info()
    assert [path for _, path, _, _ in transport.seen] == ["/health", "/_mock/journal", "/_mock/webhooks/wait",
                                                          "/_mock/info"]
    assert {auth for _, _, auth, _ in transport.seen} == {"Bearer anything"}
    assert all(purpose for _, _, _, purpose in transport.seen)


def test_the_async_flavour_waits_while_requests_arrive(mock_url, corr):
    async def main():
        async with httpx.AsyncClient(timeout=10) as http:
            control = AsyncMockClient(http, mock_url)
            since = (await control.journal(limit=1)).last_seq
            waiting = asyncio.create_task(control.wait_journal(corr, 3, timeout=10, after=since))
            for i in range(3):
                await http.get(f"{mock_url}/{i}", headers={"X-Mock-Correlation": corr})
            waited = await waiting
            pages = [page async for page in control.journal_pages(corr, after=since, limit=2)]
            return waited, pages

    waited, pages = asyncio.run(main())
    assert [entry.path for entry in waited.records] == ["/0", "/1", "/2"] and not waited.timed_out
    assert [[entry.path for entry in page.records] for page in pages] == [["/0", "/1"], ["/2"]]
    assert pages[0].next_after == pages[0].records[-1].seq and pages[-1].next_after is None
