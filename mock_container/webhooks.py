"""Webhook calls the mock makes after processing: allowlist, signature,
retries with doubling backoff. (The sink that records deliveries is a
control route over a journal `Ring`: see control.py.)

Every pending webhook holds its body, for as long as its retries may take,
against `--webhook-bytes`: a request whose webhook would not fit is refused
(503) before any of its work."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from .background import Background
from .bodies import PART, Data, Stream
from .fields import own_sink, url_allowed
from .info import self_host
from .memory import OVERHEAD, Budget, Hold
from .settings import Settings
from .stats import Stats

__all__ = ["WebhookJob", "WebhookSender", "sign", "url_allowed", "SIGNATURE_HEADER"]

SIGNATURE_HEADER = "X-Mock-Signature"
log = logging.getLogger("mock_container.webhooks")


def sign(secret: str, body: Data | Stream | bytes) -> str:
    """The signature header value: `sha256=<hex HMAC-SHA256 of the body>`."""
    mac = hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)
    for chunk in (body,) if isinstance(body, bytes) else body.chunks():
        mac.update(chunk)
    return "sha256=" + mac.hexdigest()


@dataclass(frozen=True, slots=True)
class WebhookJob:
    url: str
    body: Data | Stream
    content_type: str
    status: int  # the status the response had (X-Mock-Status)
    seq: int  # journal sequence number of the request (X-Mock-Seq)
    correlation: str | None = None
    task_id: str | None = None
    delay: float = 0.0
    retries: int = 0
    backoff: float = 0.5
    secret: str | None = None

    def headers(self, attempt: int, signature: str | None = None) -> dict[str, str]:
        headers = {
            "Content-Type": self.content_type,
            "X-Mock-Seq": str(self.seq),
            "X-Mock-Status": str(self.status),
            "X-Mock-Attempt": str(attempt),
        }
        if self.correlation is not None:
            headers["X-Mock-Correlation"] = self.correlation
        if self.task_id is not None:
            headers["X-Mock-Task-Id"] = self.task_id
        if signature is not None:
            headers[SIGNATURE_HEADER] = signature
        return headers


async def _chunks(body: Data | Stream) -> AsyncIterator[bytes]:
    for chunk in body.chunks():
        yield chunk


class WebhookSender:
    """Delivers jobs in the background; a 5xx or a connection error is a
    failed attempt, anything else is a delivery."""

    def __init__(self, settings: Settings, stats: Stats, background: Background) -> None:
        self.settings = settings
        self.stats = stats
        self.background = background
        self.budget = Budget("webhooks", settings.webhook_bytes, "--webhook-bytes")
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        # trust_env=False: a proxy from the environment must not carry loopback
        # webhooks elsewhere; no redirects, which could leave the allowlist.
        self._client = httpx.AsyncClient(
            timeout=self.settings.webhook_timeout, trust_env=False, follow_redirects=False
        )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def reserve(self, body: Data | Stream) -> Hold:
        """Hold a future job's body in the budget (OverBudget when it does not fit)."""
        hold = Hold(self.budget)
        hold.take(body.held + OVERHEAD)
        return hold

    def submit(self, job: WebhookJob, hold: Hold) -> None:
        """Deliver `job` in the background; `hold` (from `reserve`) is released when it is done."""
        self.stats.webhooks_pending += 1
        self.background.spawn(self._deliver(job, hold))

    async def _deliver(self, job: WebhookJob, hold: Hold) -> None:
        try:
            if job.delay:
                await asyncio.sleep(job.delay)
            signature = None
            if job.secret is not None:
                # HMAC lets go of the GIL on large updates: a large body is signed off the event loop
                large = job.body.size > PART
                signature = await asyncio.to_thread(sign, job.secret, job.body) if large else sign(job.secret,
                                                                                                     job.body)
            for attempt in range(1, job.retries + 2):
                if await self._attempt(job, attempt, signature):
                    self.stats.webhooks_delivered += 1
                    return
                if attempt <= job.retries:
                    wait = job.backoff * 2 ** (attempt - 1)
                    await asyncio.sleep(min(wait, self.settings.max_delay))
            self.stats.webhooks_failed += 1
        finally:
            self.stats.webhooks_pending -= 1
            hold.release()

    def target(self, url: str) -> str:
        """Where a job's URL points: its own sink (a bare path) is reached over this server's own address."""
        return f"http://{self_host(self.settings.host)}:{self.settings.port}{url}" if own_sink(url) else url

    async def _attempt(self, job: WebhookJob, attempt: int, signature: str | None) -> bool:
        # checked again (settings are the last word); the mock's own sink needs no allowance
        allowed, why = (True, "") if own_sink(job.url) else url_allowed(job.url, self.settings)
        if not allowed or self._client is None:
            log.warning("webhook to %s refused: %s", job.url, why or "sender closed")
            return False
        self.stats.webhook_attempts += 1
        headers = job.headers(attempt, signature)
        content: Any
        if isinstance(job.body, Data) and job.body.size <= PART:
            content = job.body.to_bytes()
        else:
            # produced part by part as it is sent (a stream's pieces are never joined)
            content = _chunks(job.body)
            headers["Content-Length"] = str(job.body.size)
        try:
            response = await self._client.post(self.target(job.url), content=content, headers=headers)
        except httpx.HTTPError as exc:
            log.info("webhook attempt %d to %s failed: %s", attempt, job.url, exc)
            return False
        return response.status_code < 500
