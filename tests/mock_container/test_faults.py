"""Connection-level faults, seen from a raw socket, and drip-fed bodies."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from tests.mock_container.helpers import assert_invalid, eventually, mock_headers, raw_exchange


def request_bytes(corr: str, **fields) -> bytes:
    lines = ["GET /fault HTTP/1.1", "Host: 127.0.0.1", f"X-Mock-Correlation: {corr}"]
    lines += [f"{name}: {value}" for name, value in mock_headers(**fields).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.fixture
def port(mock_server) -> int:
    return mock_server.port


@pytest.fixture(autouse=True)
def server_survives(mock):
    """Whatever a fault did to its connection, the server keeps serving."""
    yield
    assert mock.get("/health").status_code == 200


def test_close_without_response(port, mock, corr):
    received, error = raw_exchange(port, request_bytes(corr, fault="close"))
    assert received == b"" and error is None  # an orderly close (FIN), not a byte
    [entry] = mock.journal(corr)
    assert entry["status"] is None
    assert entry["behaviour"]["fault"] == "close"


def test_reset_sends_rst(port, corr):
    received, error = raw_exchange(port, request_bytes(corr, fault="reset"))
    assert received == b""
    assert isinstance(error, ConnectionResetError)


def test_garbage_then_close(port, corr):
    received, error = raw_exchange(port, request_bytes(corr, fault="garbage"))
    assert received and not received.startswith(b"HTTP/")
    assert error is None


def test_bad_chunked_body(port, mock, corr):
    received, _ = raw_exchange(port, request_bytes(corr, fault="bad-chunked"))
    assert received.startswith(b"HTTP/1.1 200 ")
    assert b"transfer-encoding: chunked" in received.lower()
    with pytest.raises(httpx.RemoteProtocolError):
        mock.get(headers=mock_headers(fault="bad-chunked"))


def test_fault_after_delay(port, corr):
    started = time.monotonic()
    received, error = raw_exchange(port, request_bytes(corr, fault="close", delay=0.3))
    assert received == b""
    assert time.monotonic() - started >= 0.29  # timers may fire a little early


def test_hang_until_the_client_gives_up(port, mock, corr):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request_bytes(corr, fault="hang"))
        mock.wait_journal(corr, 1)  # the mock has the request...
        sock.settimeout(0.5)
        with pytest.raises(socket.timeout):
            sock.recv(1)  # ...and answers nothing
    # The client gave up; the server lets go of the request.
    eventually(lambda: mock.stats()["in_flight"] == 0, timeout=5, what="hung request released")


def test_hang_is_bounded_by_max_delay():
    from tests.conftest import start_mock

    server = start_mock("--max-delay", "0.5")
    try:
        started = time.monotonic()
        received, error = raw_exchange(server.port, request_bytes("hang-bound", fault="hang"))
        assert received == b""
        # The event loop's timers may fire up to a millisecond early.
        assert 0.49 <= time.monotonic() - started < 5
    finally:
        server.stop()


def test_drip_sends_the_body_slowly(mock_url, mock, corr):
    body = "0123456789" * 5
    arrivals = []
    started = time.monotonic()
    with httpx.stream("GET", mock_url + "/drip", timeout=10,
                      headers=mock_headers(correlation=corr, fault="drip", drip_duration=1.0, body=body)) as response:
        assert response.status_code == 200
        assert response.headers["content-length"] == str(len(body))
        received = b""
        for chunk in response.iter_raw():
            arrivals.append(time.monotonic() - started)
            received += chunk
    assert received.decode() == body
    assert arrivals[-1] >= 1.0
    assert len(arrivals) >= 3 and arrivals[0] < arrivals[-1] - 0.5  # spread over the duration


def test_drip_needs_a_duration(mock):
    assert_invalid(mock.get(headers=mock_headers(fault="drip")), "fault")


def test_unknown_fault(mock):
    assert_invalid(mock.get(headers=mock_headers(fault="explode")), "fault")
