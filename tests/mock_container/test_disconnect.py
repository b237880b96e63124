"""`on-disconnect`: what the mock does when its client hangs up before the answer.

`continue` (the default) finishes the work and sends the webhook anyway;
`cancel` drops both, as a container that ties its work to the request's
connection does, and journals the cancellation.
"""

from __future__ import annotations

import socket

import pytest

from tests.mock_container.helpers import TIMEOUT, assert_invalid, eventually, mock_headers

DELAY = 1.0
#: Longer than the delay by a margin: a webhook that was coming has come by then.
WEBHOOK_WAIT = DELAY + 3.0


def hang_up_after_arrival(mock, port: int, corr: str, fields: dict, read_first: bool = False) -> None:
    """Send a request, wait until the mock journaled it, then close the connection."""
    head = "".join(f"{name}: {value}\r\n" for name, value in mock_headers(correlation=corr, **fields).items())
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(f"GET /work HTTP/1.1\r\nHost: mock\r\n{head}\r\n".encode())
        mock.wait_journal(corr)
        if read_first:
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")  # the answer has begun


def entry_of(mock, corr: str) -> dict:
    [entry] = mock.journal(corr)
    return entry


def no_delivery(mock, key: str, timeout: float) -> bool:
    response = mock.get("/_mock/webhooks/wait", params={"key": key, "count": 1, "timeout": timeout},
                        timeout=timeout + 5)
    return response.json()["timed_out"]


def test_cancel_drops_the_delayed_answer_and_its_webhook(mock, mock_server, corr):
    key = "hang-" + corr
    cancelled_before = mock.stats()["cancelled"]
    hang_up_after_arrival(mock, mock_server.port, corr, dict(
        delay=DELAY, webhook_url=mock.sink_url(key), on_disconnect="cancel"))
    eventually(lambda: "error" in entry_of(mock, corr), what="the cancellation journaled")
    entry = entry_of(mock, corr)
    assert entry["error"]["error"] == "cancelled" and entry["error"]["on-disconnect"] == "cancel"
    assert entry["status"] is None  # nothing was answered
    assert mock.stats()["cancelled"] > cancelled_before
    assert no_delivery(mock, key, WEBHOOK_WAIT)


def test_continue_still_sends_the_webhook(mock, mock_server, corr):
    key = "hang-" + corr
    hang_up_after_arrival(mock, mock_server.port, corr, dict(delay=DELAY, webhook_url=mock.sink_url(key)))
    [delivery] = mock.wait_sink(key, timeout=WEBHOOK_WAIT)
    assert dict(delivery["headers"])["x-mock-correlation"] == corr
    entry = entry_of(mock, corr)
    assert "error" not in entry and entry["behaviour"]["webhook-url"] == mock.sink_url(key)


def test_cancel_stops_a_stream_being_sent(mock, mock_server, corr):
    key = "hang-" + corr
    hang_up_after_arrival(mock, mock_server.port, corr, dict(
        stream="chunked", stream_count=40, stream_interval=0.05, webhook_url=mock.sink_url(key),
        on_disconnect="cancel"), read_first=True)
    eventually(lambda: "error" in entry_of(mock, corr), what="the cancellation journaled")
    assert entry_of(mock, corr)["error"]["error"] == "cancelled"
    assert no_delivery(mock, key, 2.0 + 2.0)  # the whole stream would have taken 2 s


def test_cancel_changes_nothing_for_a_client_that_waits(mock, corr):
    key = "hang-" + corr
    response = mock.get(headers=mock_headers(correlation=corr, delay=0.2, status=201, body="done",
                                             webhook_url=mock.sink_url(key), on_disconnect="cancel"))
    assert response.status_code == 201 and response.text == "done"
    mock.wait_sink(key)
    assert entry_of(mock, corr)["status"] == 201


def test_an_async_answer_is_not_cancelled_by_the_hang_up(mock, mock_server, corr):
    """`ack` answers 202 at once: the work after it is not the client's to cancel."""
    key = "hang-" + corr
    response = mock.get(headers={"Prefer": "respond-async", **mock_headers(
        correlation=corr, delay=0.3, webhook_url=mock.sink_url(key), on_disconnect="cancel", **{"async": "ack"})})
    assert response.status_code == 202
    mock.wait_sink(key)


@pytest.mark.parametrize("value", ["stop", "", "CANCEL"])
def test_unknown_values_are_refused(mock, value):
    assert_invalid(mock.get(headers={"X-Mock-On-Disconnect": value}), "on-disconnect", "header")
