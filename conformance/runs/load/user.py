"""`GatewayUser`: one simulated client of the gateway, in all four modes.

Each step makes one submission in a mode drawn by the mix and sees it
through as a client would: a respond-async submission is followed (status
polls, then the result) like the provider's client does, so N users are N
concurrent submissions, as the contract's load requirements put it. Every
submission body is unique and recorded by its sha256 in the process's tally
before it is sent, so the end-of-run judgement can match answers, results
and the mock container's journal to it. Behaviours for the mock ride in the
query string, which every mode forwards.

The run's headers (and the Basic credentials of a `user:pass@` in `--host`)
go only to the gateway's origin: a StatusPath or ResultPath on another
origin is followed without them when the user allowed it
(`--allow-origin`), and is otherwise a failure of that submission, never
requested (conformance.http.origins).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

from conformance.http.origins import OriginPolicy
from conformance.runs.load.answers import json_object, judge_answer, new_body, task_id_of
from conformance.runs.load.follow import follow_async
from conformance.runs.load.tally import Submission
from conformance.runs.load.settings import MODES
from conformance.runs.load.state import RunState, run_state

__all__ = ["GatewayUser", "REFUSAL_STATUSES"]

#: A gateway declining a submission at once (load shedding) rather than losing it.
REFUSAL_STATUSES = (429, 503)

_PREFER = {"async": "respond-async", "proxy": "respond-async-proxy", "container": "respond-async-container"}


@dataclass
class Reply:
    status: int  # 0 when no HTTP answer came
    content: bytes
    elapsed: float
    transport_error: str | None


class GatewayUser(FastHttpUser):
    """Submits in all four modes and checks each answer against its own submission.

    Point `--host` at the gateway's inference base `{base}/{deployment}`;
    options come from conformance/runs/load/settings.py (`--conformance-*`).
    """

    wait_time = constant(0)
    network_timeout = 30.0
    connection_timeout = 10.0
    # identity: compare the container's bytes, not a decompressed copy
    default_headers = {"Accept-Encoding": "identity"}

    run: RunState

    def on_start(self) -> None:
        self.run = run_state(self.environment)
        settings = self.run.settings
        if settings is None:
            raise StopUser()
        host = _without_userinfo(self.host)
        base = host.rstrip("/") + settings.path
        self.urls = {mode: f"{base}?{settings.query(mode)}" for mode in MODES}
        self.modes = settings.mix.active()
        self.weights = [settings.mix.weights[mode] for mode in self.modes]
        self.extra_headers = dict(settings.headers)
        # Locust adds the Basic credentials of a `user:pass@` host to every request, whatever its origin:
        # they become one of the run's headers instead, sent to the gateway's origin only
        basic = getattr(self.client, "auth_header", None)
        if basic:
            self.client.auth_header = None
            if not any(name.lower() == "authorization" for name in self.extra_headers):
                self.extra_headers["Authorization"] = basic
        self.policy = OriginPolicy.of([host], settings.allow_origins)

    @task
    def step(self) -> None:
        if len(self.run.tally.records) >= self.run.settings.max_submissions:
            raise StopUser()
        mode = random.choices(self.modes, self.weights)[0]
        getattr(self, f"submit_{mode}")()

    # -- one HTTP exchange ------------------------------------------------------------

    def call(self, method: str, url: str, name: str, expected: range | tuple[int, ...], *,
             body: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
        """One request; Locust's own stats count it failed when its status is not `expected`."""
        started = time.perf_counter()
        own = self.policy.is_own(url)
        headers = {**(self.extra_headers if own else {}), **(headers or {})}
        with self.client.request(method, url, name=name, data=body, headers=headers,
                                 catch_response=True) as response:
            elapsed = time.perf_counter() - started
            status = response.status_code or 0
            content, transport = _read(response) if status else (b"", _error_name(response))
            if transport:
                status = 0  # headers without a whole body are no answer either
            if status in expected:
                response.success()
            else:
                response.failure(transport or f"HTTP {status}")
        return Reply(status, content, elapsed, transport)

    def submit(self, mode: str, expected: int) -> tuple[Submission, Reply]:
        body, sha = new_body(self.run.settings.run_id, mode)
        record = self.run.tally.sent(mode, sha, time.time())
        headers = {"Content-Type": "application/json"}
        if mode in _PREFER:
            headers["Prefer"] = _PREFER[mode]
        return record, self.call("POST", self.urls[mode], f"{mode} submit", (expected,), body=body, headers=headers)

    def problem(self, record: Submission, reply: Reply, where: str, expected: int) -> bool:
        """Submission a submission that was not answered as its mode requires."""
        tally = self.run.tally
        if reply.transport_error:
            tally.failed(record, f"{where}: {reply.transport_error}")
        elif reply.status in REFUSAL_STATUSES:
            tally.refused(record, f"{where}: refused with HTTP {reply.status}")
        elif reply.status != expected:
            tally.failed(record, f"{where}: HTTP {reply.status}", reply.content[:200].decode("utf-8", "replace"))
        else:
            return False
        return True

    # -- the four modes -----------------------------------------------------------------

    def submit_async(self) -> None:
        record, reply = self.submit("async", 202)
        if self.problem(record, reply, "async submit", 202):
            return
        fields = _accept_fields(json_object(reply.content))
        if fields is None:
            self.run.tally.failed(record, "async submit: 202 body lacks Id/StatusPath/ResultPath")
            return
        self.run.tally.latency("async", reply.elapsed)
        accepted_url = self.urls["async"]
        status_url = urljoin(accepted_url, fields["StatusPath"])
        result_url = urljoin(accepted_url, fields["ResultPath"])
        refusal = (self.policy.refusal(status_url, "StatusPath") or self.policy.refusal(result_url, "ResultPath"))
        if refusal:
            self.run.tally.failed(record, f"async submit: not followed: {refusal}")
            return
        self.run.tally.accepted(record, time.time(), inference_id=fields["Id"], status_url=status_url,
                                result_url=result_url)
        follow_async(record, self.run.tally, self.run.settings, self.get)

    def submit_proxy(self) -> None:
        record, reply = self.submit("proxy", 202)
        if self.problem(record, reply, "proxy submit", 202):
            return
        self.run.tally.latency("proxy", reply.elapsed)
        if reply.content:
            self.run.tally.error("proxy submit: 202 with a body")
        self.run.tally.accepted(record, time.time())

    def submit_container(self) -> None:
        record, reply = self.submit("container", 202)
        if self.problem(record, reply, "container submit", 202):
            return
        self.run.tally.latency("container", reply.elapsed)
        task_id = task_id_of(reply.content)
        if task_id is None:
            self.run.tally.failed(record, "container submit: relayed body has no task_id")
            return
        self.run.tally.accepted(record, time.time(), task_id=task_id)

    def submit_sync(self) -> None:
        record, reply = self.submit("sync", 200)
        if reply.transport_error or reply.status in REFUSAL_STATUSES:
            self.problem(record, reply, "sync", 200)
            return
        self.run.tally.latency("sync", reply.elapsed)
        judge_answer(self.run.tally, record, reply.status, reply.content, "sync answer")

    def get(self, url: str, headers: dict[str, str], name: str) -> tuple[int, bytes, str | None]:
        reply = self.call("GET", url, name, range(200, 300) if name == "async result" else (200,), headers=headers)
        return reply.status, reply.content, reply.transport_error


def _without_userinfo(url: str) -> str:
    """`http://user:pass@host/x` -> `http://host/x` (Locust takes the credentials from its --host itself)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2])) if "@" in parts.netloc else url


def _accept_fields(document: dict | None) -> dict[str, str] | None:
    """Id, StatusPath and ResultPath of a 202 body, each a non-empty string, or None."""
    if document is None:
        return None
    fields = {key: document.get(key) for key in ("Id", "StatusPath", "ResultPath")}
    return fields if all(isinstance(value, str) and value for value in fields.values()) else None


def _error_name(response) -> str:  # type: ignore[no-untyped-def]
    error = getattr(response, "error", None)
    return type(error).__name__ if error is not None else "NoResponse"


def _read(response) -> tuple[bytes, str | None]:  # type: ignore[no-untyped-def]
    """The body, or the error that cut it short (a body read can fail after the headers came)."""
    try:
        return response.content or b"", None
    except Exception as exc:  # geventhttpclient raises socket and parser errors of many kinds
        return b"", type(exc).__name__


