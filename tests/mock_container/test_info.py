"""The mock advertises itself: `GET /_mock/info`, and its instance id in every answer."""

from __future__ import annotations

import asyncio
import re
from importlib import metadata

import httpx
import pytest

from conformance.runs.launcher import ManagedServer
from mock_container.app import MockApp
from mock_container.client import API_VERSION, AsyncMockClient
from mock_container.info import self_host
from mock_container.settings import DEFAULT_WEBHOOK_ALLOW, Settings
from tests.mock_container.helpers import mock_headers


def test_info_describes_the_running_mock(mock, mock_server: ManagedServer):
    info = mock.control.info()
    assert re.fullmatch("[0-9a-f]{16}", info.instance)
    assert info.version == metadata.version("async-gateway-conformance")
    assert info.api == API_VERSION == 1
    assert info.sink == f"http://127.0.0.1:{mock_server.port}/_mock/webhooks/"
    assert set(info.settings) == set(Settings.keys())
    assert info.settings["port"] == mock_server.port
    assert info.settings["journal_size"] == Settings().journal_size
    assert info.settings["webhook_allow"] == list(DEFAULT_WEBHOOK_ALLOW)


def test_the_mock_delivers_to_the_sink_url_it_advertises(mock, corr):
    info = mock.control.info()
    key = "self\n" + corr  # any character, a newline included
    mock.get(headers=mock_headers(correlation=corr, webhook_url=info.sink_url(key)))
    [delivery] = mock.wait_sink(key)
    assert delivery["key"] == key


def test_every_answer_names_the_instance(mock, corr):
    instance = mock.control.info().instance
    key = "inst-" + corr
    echo = mock.get(headers={"X-Mock-Correlation": corr})
    assert echo.json()["instance"] == instance
    recorded = mock.post(f"/_mock/webhooks/{key}", content=b"x")
    control = mock.control
    pages = [control.journal(corr), control.wait_journal(corr, 1, 5), control.webhooks(key),
             control.wait_webhooks(key, 1, 5)]
    assert [page.instance for page in pages] == [instance] * 4
    assert mock.stats()["instance"] == instance
    for answer in (recorded, mock.get("/health"), mock.get("/_mock/stats"), mock.get("/_mock/no-such-route"),
                   mock.post("/_mock/stats")):
        assert answer.headers["x-mock-instance"] == instance, answer


def test_each_mock_draws_its_own_instance_and_a_reset_keeps_it():
    first, second = MockApp(Settings()), MockApp(Settings())
    assert first.state.instance != second.state.instance

    async def reset_and_ask() -> str:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=first), base_url="http://mock") as http:
            control = AsyncMockClient(http, "http://mock")
            await control.reset()
            return (await control.info()).instance

    assert asyncio.run(reset_and_ask()) == first.state.instance


@pytest.mark.parametrize("bind, host", [
    ("127.0.0.1", "127.0.0.1"), ("0.0.0.0", "127.0.0.1"), ("::", "[::1]"), ("::1", "[::1]"), ("[::1]", "[::1]"),
    ("127.0.0.2", "127.0.0.2"), ("10.1.2.3", "10.1.2.3"), ("fd00::5", "[fd00::5]"), ("localhost", "localhost"),
])
def test_the_sink_url_is_where_the_mock_reaches_itself(bind, host):
    app = MockApp(Settings(host=bind, port=8123))

    async def ask() -> str:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock") as http:
            return (await AsyncMockClient(http, "http://mock").info()).sink

    assert self_host(bind) == host
    assert asyncio.run(ask()) == f"http://{host}:8123/_mock/webhooks/"
