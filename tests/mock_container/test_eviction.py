"""Eviction is visible: every list and wait answer says which sequence numbers the
journal (or sink) still holds and how many records a reader missed since its
starting point, after the ring's limits, a clear or a reset dropped them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import start_mock
from tests.mock_container.helpers import Mock

SIZE = 5


@pytest.fixture(scope="module")
def small() -> Iterator[Mock]:
    """A mock whose journal and sink hold 5 records (this module's own: it resets it)."""
    server = start_mock("--journal-size", str(SIZE), name="mock-evicting")
    client = Mock(server.url)
    yield client
    client.close()
    server.stop()


def newest_seq(mock: Mock) -> int:
    return mock.control.journal(limit=1).last_seq


def test_the_ring_reports_what_it_evicted(small, corr):
    since = newest_seq(small)
    for i in range(8):
        small.get(f"/{i}", headers={"X-Mock-Correlation": corr})
    page = small.control.journal(corr, since=since)
    assert [entry.path for entry in page.records] == [f"/{i}" for i in range(3, 8)]
    assert (page.first_seq, page.last_seq) == (since + 4, since + 8)
    assert page.evicted == page.first_seq - 1
    assert page.evicted_since == 3 and page.partial
    # `after` is the starting point when `since` is not given; a reader past the gap missed nothing
    assert small.control.journal(corr, after=since).evicted_since == 3
    assert small.control.journal(corr, after=since + 3).evicted_since == 0
    assert not small.control.journal(corr, since=page.first_seq - 1).partial
    waited = small.control.wait_journal(corr, 5, timeout=5, after=since)
    assert (len(waited.records), waited.evicted_since, waited.timed_out) == (5, 3, False)
    assert small.control.info().settings["journal_size"] == SIZE


def test_the_sink_reports_what_it_evicted(small, corr):
    key = "evict-" + corr
    since = small.control.webhooks(limit=1).last_seq
    for i in range(7):
        assert small.post(small.sink_url(key), content=str(i).encode()).status_code == 200
    page = small.control.webhooks(key, since=since)
    assert [delivery.body for delivery in page.records] == [str(i).encode() for i in range(2, 7)]
    assert page.evicted_since == 2
    assert small.control.wait_webhooks(key, 1, timeout=5, after=since).evicted_since == 2


def test_a_reset_counts_as_evicting_everything(small, corr):
    since = newest_seq(small)
    small.get(headers={"X-Mock-Correlation": corr})
    small.get(headers={"X-Mock-Correlation": corr})
    key = "reset-" + corr
    small.post(small.sink_url(key), content=b"x")
    sink_since = small.control.webhooks(key).records[0].seq - 1
    small.control.reset()
    page = small.control.journal(corr, since=since)
    assert page.records == ()
    assert (page.first_seq, page.evicted_since) == (page.last_seq + 1, 2)
    assert small.control.webhooks(key, since=sink_since).evicted_since == 1
    echoed = small.get(headers={"X-Mock-Correlation": corr}).json()
    assert echoed["seq"] == since + 3  # numbering goes on
    after_reset = small.control.journal(corr, since=since)
    assert ([e.seq for e in after_reset.records], after_reset.evicted_since) == ([since + 3], 2)
    assert small.control.journal(corr, since=since + 2).evicted_since == 0  # a reader that began after it


def test_clearing_the_journal_counts_too(small, corr):
    small.get(headers={"X-Mock-Correlation": corr})
    since = newest_seq(small) - 1
    assert small.control.clear_journal() >= 1
    assert small.control.journal(corr, since=since).evicted_since == 1


def test_the_byte_budget_counts_headers():
    """Three requests with 60 KiB of headers and no body overflow a 150 kB budget."""
    server = start_mock("--journal-bytes", "150000", "--body-keep", "0", name="mock-header-bytes")
    mock = Mock(server.url)
    try:
        for i in range(3):
            assert mock.get(f"/{i}", headers={"X-Mock-Correlation": "big", "X-Big": "a" * 61440}).status_code == 200
        page = mock.control.journal("big")
        assert [entry.path for entry in page.records] == ["/1", "/2"]
        assert page.evicted_since == 1
        held = mock.stats()["journal_bytes"]
        assert 2 * 61440 < held <= 150000
    finally:
        mock.close()
        server.stop()
