"""Webhook calls the mock makes after processing: allowlist, signature,
retries with doubling backoff. (The sink that records deliveries is a
control route over a journal `Ring`: see control.py.)"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from .background import Background
from .settings import Settings
from .stats import Stats

__all__ = ["WebhookJob", "WebhookSender", "sign", "url_allowed", "SIGNATURE_HEADER"]

SIGNATURE_HEADER = "X-Mock-Signature"
log = logging.getLogger("mock_container.webhooks")


def url_allowed(url: str, settings: Settings) -> tuple[bool, str]:
    """(allowed, why not). Host names are compared literally, never resolved,
    so a name cannot smuggle a request to a host outside the allowlist."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False, "is not a valid URL"
    if parts.scheme not in ("http", "https") or not host:
        return False, "must be an http:// or https:// URL with a host"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host.lower() in settings.allowed_names:
            return True, ""
    else:
        if any(address in network for network in settings.allowed_networks):
            return True, ""
    return False, f"host {host!r} is not in the webhook allowlist (--webhook-allow)"


def sign(secret: str, body: bytes) -> str:
    """The signature header value: `sha256=<hex HMAC-SHA256 of the body>`."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class WebhookJob:
    url: str
    body: bytes
    content_type: str
    status: int  # the status the response had (X-Mock-Status)
    seq: int  # journal sequence number of the request (X-Mock-Seq)
    correlation: str | None = None
    task_id: str | None = None
    delay: float = 0.0
    retries: int = 0
    backoff: float = 0.5
    secret: str | None = None

    def headers(self, attempt: int) -> dict[str, str]:
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
        if self.secret is not None:
            headers[SIGNATURE_HEADER] = sign(self.secret, self.body)
        return headers


class WebhookSender:
    """Delivers jobs in the background; a 5xx or a connection error is a
    failed attempt, anything else is a delivery."""

    def __init__(self, settings: Settings, stats: Stats, background: Background) -> None:
        self.settings = settings
        self.stats = stats
        self.background = background
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

    def submit(self, job: WebhookJob) -> None:
        self.stats.webhooks_pending += 1
        self.background.spawn(self._deliver(job))

    async def _deliver(self, job: WebhookJob) -> None:
        try:
            if job.delay:
                await asyncio.sleep(job.delay)
            for attempt in range(1, job.retries + 2):
                if await self._attempt(job, attempt):
                    self.stats.webhooks_delivered += 1
                    return
                if attempt <= job.retries:
                    wait = job.backoff * 2 ** (attempt - 1)
                    await asyncio.sleep(min(wait, self.settings.max_delay))
            self.stats.webhooks_failed += 1
        finally:
            self.stats.webhooks_pending -= 1

    async def _attempt(self, job: WebhookJob, attempt: int) -> bool:
        allowed, why = url_allowed(job.url, self.settings)  # checked again: settings are the last word
        if not allowed or self._client is None:
            log.warning("webhook to %s refused: %s", job.url, why or "sender closed")
            return False
        self.stats.webhook_attempts += 1
        try:
            response = await self._client.post(job.url, content=job.body, headers=job.headers(attempt))
        except httpx.HTTPError as exc:
            log.info("webhook attempt %d to %s failed: %s", attempt, job.url, exc)
            return False
        return response.status_code < 500
