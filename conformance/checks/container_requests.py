"""How container checks send requests: to the container directly, or through the embedded gateway.

Shared by the CT checks (container_side.py) and the gateway-modes driver
(container_modes.py). Every sample request the container accepts for
later work is counted in the run's book (`ctx.accepted`), so calls to a
deploy-time webhook target can be matched to requests by order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from conformance.checks.client import NoAnswer
from conformance.checks.container_context import ContainerContext
from conformance.judge.container_config import ContainerConfig
from conformance.judge.verdicts import Blocked, Failure, NotApplicable, show

__all__ = ["Answer", "ask", "sample", "through_gateway", "require_ready", "require_declared", "media_type",
           "accepts_for_later", "describe"]


def media_type(response: httpx.Response) -> str | None:
    value = response.headers.get("content-type")
    return value.split(";", 1)[0].strip().lower() if value else None


def describe(response: httpx.Response) -> str:
    """`202 (application/json, 22 bytes) {"status": "accepted"}`: an answer as a report line shows it."""
    kind = response.headers.get("content-type") or "no Content-Type"
    return f"{response.status_code} ({kind}, {len(response.content)} bytes) {show(response.text, 120)}".rstrip()


def accepts_for_later(prefer: str | None, status: int) -> bool:
    """Whether an answer means the container took the request on for later work (and may call a webhook):
    2xx to `Prefer: respond-async`, or 202 to anything."""
    return status == 202 or (prefer == "respond-async" and 200 <= status < 300)


@dataclass
class Answer:
    response: httpx.Response
    latency: float  # seconds from sending to the whole response
    #: its number in the run's book of accepted requests (deploy-time webhook matching), if accepted
    accepted: int | None = None

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def media_type(self) -> str | None:
        return media_type(self.response)

    def describe(self) -> str:
        return describe(self.response)


def _config(ctx: ContainerContext) -> ContainerConfig:
    return ctx.container_config


async def ask(
    ctx: ContainerContext,
    method: str,
    path: str,
    *,
    purpose: str,
    prefer: str | None = None,
    body: bytes = b"",
    content_type: str | None = None,
    headers: Sequence[tuple[str, str]] = (),
) -> Answer:
    """One request to the container; a container that gives no answer fails the requirement at hand.

    Each request has a connection of its own (`Connection: close`): a container
    that drops a connection after answering an error must not fail the next
    request of some other check by a race on a reused one.
    """
    all_headers = [*([("Prefer", prefer)] if prefer is not None else []), *headers, ("Connection", "close")]
    if content_type is not None:
        all_headers.append(("Content-Type", content_type))
    started = ctx.clock()
    try:
        response = await ctx.container.request(method, ctx.container.url(path), headers=all_headers, content=body,
                                               purpose=purpose)
    except NoAnswer as exc:
        raise Failure(f"the container gave no answer to {method} {path} ({purpose}): {exc.actual}",
                      expected="an HTTP response", actual=exc.actual, exchanges=exc.exchanges) from None
    return Answer(response, ctx.clock() - started)


def _sample_request(ctx: ContainerContext, webhook_key: str | None) -> tuple[bytes, list[tuple[str, str]]]:
    """The sample body and extra headers, with the webhook URL of `webhook_key` where the author said."""
    config = _config(ctx)
    if webhook_key is not None and config.webhook_mode == "request":
        return config.with_webhook(ctx.sink.url(webhook_key))  # type: ignore[union-attr]
    return config.body, []


async def sample(ctx: ContainerContext, purpose: str, prefer: str | None = None,
                 webhook_key: str | None = None) -> Answer:
    """The author's sample request to the container, counted in the run's book when accepted for later work."""
    config = _config(ctx)
    body, headers = _sample_request(ctx, webhook_key)
    answer = await ask(ctx, "POST", config.path, purpose=purpose, prefer=prefer, body=body,
                       content_type=config.content_type, headers=headers)
    if accepts_for_later(prefer, answer.status):
        answer.accepted = ctx.accepted.add(purpose)
    return answer


async def through_gateway(ctx: ContainerContext, purpose: str, prefer: str | None = None,
                          webhook_key: str | None = None) -> httpx.Response:
    """The sample request as a client sends it to the embedded gateway's deployment of the container.

    Raises NoAnswer (a Failure) when the gateway gives no answer.
    """
    assert ctx.through is not None
    config = _config(ctx)
    body, headers = _sample_request(ctx, webhook_key)
    all_headers = [*([("Prefer", prefer)] if prefer is not None else []), *headers,
                   ("Content-Type", config.content_type)]
    return await ctx.through.request("POST", ctx.through.url(config.path), headers=all_headers, content=body,
                                     purpose=purpose)


def require_ready(ctx: ContainerContext) -> None:
    readiness = _config(ctx).readiness
    if readiness is not None and not readiness.ready:
        raise Blocked(f"not judged: the container never became ready within --ready-timeout = {readiness.timeout:g} s "
                      "(judged by CT-HEALTH-01)")


def require_declared(ctx: ContainerContext, style: str) -> None:
    if style not in _config(ctx).supports:
        raise NotApplicable(f"not declared: --supports does not list {style}")
