"""A burst of N submissions where one gets no answer at all: GW-ASYNC-06 fails naming it, GW-ASYNC-09 is still judged.

The gateway is the reference behind a relay (a thread in the test process)
that hangs up, without a byte of answer, on the one submission whose body
is `{"k": 5}`. Before, the NoAnswer escaped the burst and failed both IDs
of the check with one reason, so a dropped connection read as guessable Ids.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from conformance.checks import all_checks
from conformance.judge.config import SuiteConfig
from conformance.judge.model import Outcome
from conformance.runs.engine import Engine
from conformance.runs.gateway.preflight import preflight
from conformance.runs.launcher import ManagedServer, python_command

DROPPED = b'{"k": 5}'
HOP_BY_HOP = ("connection", "transfer-encoding", "content-length", "keep-alive")


@contextmanager
def dropping_relay(upstream: str) -> Iterator[tuple[str, list[bytes]]]:
    """A relay to `upstream` that hangs up on the request whose body is DROPPED; yields its URL and what it dropped."""
    target = urlsplit(upstream)
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
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                content = answer.read()
            finally:
                connection.close()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = relay

    class Relay(ThreadingHTTPServer):
        request_queue_size = 128  # the burst connects at once; the default backlog of 5 would refuse some

    server = Relay(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", dropped
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


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
