"""A burst of N submissions where one gets no answer at all: GW-ASYNC-06 fails naming it, GW-ASYNC-09 is still judged.

The gateway is the reference behind a relay (a thread in the test process)
that hangs up, without a byte of answer, on the one submission whose body
is `{"k": 5}`. Before, the NoAnswer escaped the burst and failed both IDs
of the check with one reason, so a dropped connection read as guessable Ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler

from conformance.checks import all_checks
from conformance.judge.config import SuiteConfig
from conformance.judge.model import Outcome
from conformance.runs.engine import Engine
from conformance.runs.gateway.preflight import preflight
from conformance.runs.launcher import ManagedServer, python_command
from tests.relay import forward, request_headers, serving, write_answer

DROPPED = b'{"k": 5}'


@contextmanager
def dropping_relay(upstream: str) -> Iterator[tuple[str, list[bytes]]]:
    """A relay to `upstream` that hangs up on the request whose body is DROPPED; yields its URL and what it dropped."""
    dropped: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def relay(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if body == DROPPED:
                dropped.append(body)
                self.close_connection = True  # no status line, no byte: the client sees the connection close
                return
            write_answer(self, forward(upstream, self.command, self.path, request_headers(self), body, 30.0))

        do_GET = do_POST = relay

    with serving("dropping-relay") as server:
        server.RequestHandlerClass = Handler
        yield f"http://127.0.0.1:{server.server_address[1]}", dropped


def test_one_unanswered_submission_fails_uniqueness_by_name_and_leaves_unguessability_judged(mock_url: str) -> None:
    gateway = ManagedServer(python_command("conformance", "gateway", "--port", "{port}", "--deployment",
                                           f"mock={mock_url}"), name="reference-gateway").start()
    try:
        with dropping_relay(gateway.url) as (relay, dropped):
            config = SuiteConfig(gateway=f"{relay}/mock", container_url=mock_url)
            config = replace(config, journal_since=preflight(config).journal)
            engine = Engine(config, [next(c for c in all_checks() if c.name == "ids_unique_and_unguessable")])
            engine.start()
            try:
                record = engine.result("ids_unique_and_unguessable", timeout=engine.wait_budget())
            finally:
                engine.stop()
    finally:
        gateway.stop()
    assert dropped == [DROPPED], "the relay never dropped the submission: the scenario did not happen"
    verdicts = {v.id: v for v in record.verdicts}
    uniqueness, unguessable = verdicts["GW-ASYNC-06"], verdicts["GW-ASYNC-09"]
    assert uniqueness.outcome is Outcome.FAILED, uniqueness.reason
    assert uniqueness.reason == f"1 of {config.n} concurrent submissions got no Id", uniqueness.failures[0].actual
    assert "no answer to POST" in uniqueness.failures[0].actual, uniqueness.failures[0].actual
    assert unguessable.outcome is Outcome.PASSED, (unguessable.reason, unguessable.failures)
    assert any("bits of randomness across 31 Ids" in note for note in unguessable.notes), unguessable.notes
