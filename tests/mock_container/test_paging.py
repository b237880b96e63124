"""Big journals come in bounded pages, and building one never holds the event loop long.

In process (the app under httpx's ASGI transport): a thousand requests and
megabyte bodies are cheap there, and the event loop can be watched.
"""

from __future__ import annotations

import asyncio

import httpx

from mock_container import control
from mock_container.app import MockApp
from mock_container.client import AsyncMockClient
from mock_container.settings import Settings

MIB = 1024 * 1024


def run_against(settings: Settings, scenario) -> object:
    """Run `scenario(http, control)` against a fresh in-process mock."""
    app = MockApp(settings)

    async def main():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock",
                                     timeout=30) as http:
            return await scenario(http, AsyncMockClient(http, "http://mock"))

    return asyncio.run(main())


def test_a_journal_without_limit_answers_one_page_of_1000():
    async def scenario(http, mock):
        for i in range(1005):
            await http.get(f"/{i}", headers={"X-Mock-Correlation": "many"})
        first = await mock.journal("many")
        second = await mock.journal("many", after=first.next_after)
        everything = await mock.journal_all("many")
        waited = await mock.wait_journal("many", 1005, timeout=0)  # `count` beyond the page: all of them
        return first, second, everything, waited

    first, second, everything, waited = run_against(Settings(journal_size=2000), scenario)
    assert len(first.records) == control.DEFAULT_PAGE == 1000
    assert first.next_after == first.records[-1].seq
    assert (len(second.records), second.next_after) == (5, None)
    assert [entry.path for entry in everything.records] == [f"/{i}" for i in range(1005)]
    assert len(waited.records) == 1005 and not waited.timed_out


def test_a_page_stops_at_about_eight_mebibytes():
    body = b"b" * (3 * MIB // 2)

    async def scenario(http, mock):
        for i in range(10):
            await http.post(f"/{i}", content=body, headers={"X-Mock-Correlation": "big"})
        first = await http.get("/_mock/journal", params={"correlation": "big"})
        pages = [page async for page in mock.journal_pages("big")]
        return first, pages

    first, pages = run_against(Settings(body_keep=2 * MIB, journal_bytes=64 * MIB), scenario)
    one_record = len(body) * 4 // 3 + 4096
    assert len(first.content) <= control.PAGE_BYTES + one_record
    assert 1 <= len(first.json()["entries"]) < 10 and first.json()["next_after"] is not None
    records = [entry for page in pages for entry in page.records]
    assert [entry.path for entry in records] == [f"/{i}" for i in range(10)]  # each once, in order
    assert all(entry.body == body for entry in records)
    assert pages[-1].next_after is None


def test_building_a_big_answer_lets_other_work_run(monkeypatch):
    """While a 6 MB page is encoded, other tasks of the event loop keep being scheduled
    (the encoder yields between records, every YIELD_BYTES)."""
    body = b"b" * (32 * 1024)
    count = 150  # 4.7 MiB of bodies, 6.3 MiB as base64: one page

    def ticks_during_one_page() -> int:
        async def scenario(http, mock):
            for i in range(count):
                await http.post(f"/{i}", content=body, headers={"X-Mock-Correlation": "loop"})
            ticks = 0
            done = False

            async def ticker():
                nonlocal ticks
                while not done:
                    ticks += 1
                    await asyncio.sleep(0)

            task = asyncio.create_task(ticker())
            await asyncio.sleep(0)
            start = ticks
            page = await mock.journal("loop")
            done = True
            await task
            assert len(page.records) == count
            return ticks - start

        return run_against(Settings(body_keep=2 * MIB, journal_bytes=64 * MIB), scenario)

    pieces = count * len(body) * 4 // 3 // control.YIELD_BYTES  # the base64 of the bodies, in YIELD_BYTES pieces
    yielding = ticks_during_one_page()
    monkeypatch.setattr(control, "YIELD_BYTES", 1 << 62)  # the same answer in one piece: the contrast
    in_one_piece = ticks_during_one_page()
    assert yielding >= in_one_piece + pieces // 2, (yielding, in_one_piece, pieces)
