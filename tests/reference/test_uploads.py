"""Admission before reading (issue #14): at most `--max-uploads` large bodies
are read at once; beyond it, and whenever the request could not be admitted
anyway, the answer is a 503 with Retry-After before a byte of the body is
read, so N parallel uploads never hold N x --max-body."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from urllib.parse import urlsplit

import h11
import httpx
import pytest

from conformance.runs.launcher import ManagedServer

from .harness import Journal, start_gateway

MiB = 1024 * 1024
DECLARED = 32 * MiB  # the default --max-body: what a hostile client would announce
ANSWER_WITHIN = 5.0  # seconds: a refusal never waits for the body


@pytest.fixture(scope="module")
def narrow(mock_url: str) -> Iterator[ManagedServer]:
    server = start_gateway(f"mock={mock_url}", args=("--max-uploads", "2"))
    yield server
    server.stop()


def stalled_upload(url: str, head: list[tuple[str, str]], first: bytes = b"x" * 1024) -> socket.socket:
    """A connection that sent the request head and the start of a body, then nothing more."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=ANSWER_WITHIN)
    lines = [f"POST {parts.path or '/'} HTTP/1.1", f"Host: {parts.netloc}", *(f"{k}: {v}" for k, v in head)]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + first)
    return sock


def answer_of(sock: socket.socket) -> h11.Response:
    """The response head the server sent on `sock` (its body is not needed)."""
    connection = h11.Connection(h11.CLIENT)
    connection.send(h11.Request(method="POST", target="/", headers=[("Host", "x"), ("Content-Length", "1")]))
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            connection.receive_data(sock.recv(65536))
        elif isinstance(event, h11.Response):
            return event


def uploads_in_flight(client: httpx.Client, gateway: ManagedServer) -> int:
    return client.get(f"{gateway.url}/health").json()["uploads_in_flight"]


def wait_for_uploads(client: httpx.Client, gateway: ManagedServer, count: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while uploads_in_flight(client, gateway) != count:
        assert time.monotonic() < deadline, f"uploads in flight: {uploads_in_flight(client, gateway)}, not {count}"
        time.sleep(0.02)  # bounded polling of the gateway's counter: there is no event to wait on


@pytest.mark.parametrize("prefer", [None, "respond-async", "respond-async-proxy", "respond-async-container"])
def test_uploads_beyond_the_bound_get_503_before_their_body_is_read(
        client: httpx.Client, narrow: ManagedServer, journal: Journal, correlation: str, prefer: str | None) -> None:
    mode = [("Prefer", prefer)] if prefer else []
    tag = [("X-Mock-Correlation", correlation)]
    url = f"{narrow.url}/mock/upload"
    with ExitStack() as open_sockets:
        # two slow uploads hold both slots: one with a length, one chunked (length unknown)
        open_sockets.enter_context(stalled_upload(url, [*tag, *mode, ("Content-Length", str(DECLARED))]))
        open_sockets.enter_context(stalled_upload(url, [*tag, *mode, ("Transfer-Encoding", "chunked")],
                                                  b"400\r\n" + b"x" * 1024 + b"\r\n"))
        wait_for_uploads(client, narrow, 2)
        started = time.monotonic()
        refused = open_sockets.enter_context(stalled_upload(url, [*tag, *mode, ("Content-Length", str(DECLARED))],
                                                            first=b""))  # not a byte of its body is ever sent
        answer = answer_of(refused)
        assert answer.status_code == 503 and time.monotonic() - started < ANSWER_WITHIN
        assert int(dict(answer.headers)[b"retry-after"]) >= 1
        # small bodies take no slot: ordinary requests go on while uploads are stalled
        small = client.post(url, content=b"y" * 1000, headers={**dict(tag), **dict(mode)})
        assert small.status_code in (200, 202), small.text
        assert uploads_in_flight(client, narrow) == 2
    # the stalled clients went away: their slots are free again and a large upload passes
    wait_for_uploads(client, narrow, 0)
    large = client.post(url, content=b"z" * (2 * MiB), headers={**dict(tag), **dict(mode)})
    assert large.status_code in (200, 202), large.text
    journal.wait(correlation, 2)
    sizes = sorted(entry["body_size"] for entry in journal.wait_none_beyond(correlation, 2, timeout=0.3))
    assert sizes == [1000, 2 * MiB]  # only the small and the completed large upload ever reached the container


def test_a_submission_that_cannot_be_stored_is_refused_before_its_body(
        client: httpx.Client, mock_url: str, gateway_factory: Callable[..., ManagedServer], journal: Journal,
        correlation: str) -> None:
    gateway = gateway_factory(f"mock={mock_url}", args=("--max-stored-bytes", "1MiB"))
    head = [("X-Mock-Correlation", correlation), ("Prefer", "respond-async"), ("Content-Length", str(2 * MiB))]
    with stalled_upload(f"{gateway.url}/mock/x", head, first=b"") as sock:
        answer = answer_of(sock)
    assert answer.status_code == 503 and dict(answer.headers)[b"retry-after"]
    assert uploads_in_flight(client, gateway) == 0
    assert client.post(f"{gateway.url}/mock/x", content=b"{}",
                       headers={"Prefer": "respond-async", "X-Mock-Correlation": correlation}).status_code == 202
    assert len(journal.wait(correlation, 1)) == 1
