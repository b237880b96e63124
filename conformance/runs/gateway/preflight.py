"""Before any check: is the target there, and is its deployment routed to the mock container?

Each question has its own clear answer (exit code 2), because a suite that
runs forty checks against a wrong URL only produces forty confusing failures.
The answer also says where the mock's journal and webhook sink stood when
the run began, so a record evicted during the run is noticed, never passed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import httpx

from conformance.judge.config import SuiteConfig
from mock_container.client import MockClient, MockError

__all__ = ["TargetError", "preflight", "Positions"]

#: how long a request through the gateway may take to show up in the mock's journal
ROUTING_WAIT = 3.0
#: `after` beyond any sequence number: a page with no records, only the position
BEYOND = 2**62


class TargetError(Exception):
    """The target cannot be tested as given; the message says why and what to do."""


@dataclass(frozen=True)
class Positions:
    """The last sequence numbers of the mock's journal and webhook sink."""

    journal: int
    sink: int


def _hint(status: int) -> str:
    if status in (401, 403):
        return f" The gateway answered {status}: pass credentials with -H 'Authorization: Bearer ...' (CONFORMANCE_HEADER)."
    if status == 404:
        return " The gateway answered 404: check the deployment name in the inference base URL ({base}/{deployment})."
    return ""


def _check_mock(mock: MockClient, container_url: str) -> Positions:
    try:
        health = mock.health()
        if not health.ready:
            raise TargetError(f"the mock container at {container_url} is not ready: GET /health answered 503 "
                              f"(ready in {health.ready_in} s)")
        return Positions(mock.journal(after=BEYOND, limit=1).last_seq, mock.webhooks(after=BEYOND, limit=1).last_seq)
    except MockError as exc:
        state = "does not answer" if exc.status is None else "cannot be used"
        raise TargetError(f"the mock container at {container_url} {state} ({exc}); start it with "
                          "`mock-container --port PORT` and pass its URL with --container-url") from None


def _check_routed(client: httpx.Client, mock: MockClient, base: str, container_url: str,
                  headers: list[tuple[str, str]], flag: str) -> None:
    correlation = f"cf-preflight-{secrets.token_hex(6)}"
    url = f"{base.rstrip('/')}/conformance-preflight?mock-correlation={correlation}"
    try:
        response = client.get(url, headers=[("X-Mock-Correlation", correlation), *headers])
    except httpx.HTTPError as exc:
        raise TargetError(f"the gateway at {base} ({flag}) does not answer ({type(exc).__name__}: {exc})") from None
    try:
        entries = mock.wait_journal(correlation, 1, ROUTING_WAIT).records
    except MockError as exc:
        raise TargetError(f"the mock container at {container_url} stopped answering ({exc})") from None
    if not entries:
        raise TargetError(
            f"the deployment at {base} ({flag}) is not routed to the mock container at {container_url}: "
            f"a request sent through the gateway (GET {url}, answered {response.status_code}) never reached it "
            f"within {ROUTING_WAIT:g} s.{_hint(response.status_code)}"
        )


def preflight(config: SuiteConfig, timeout: float = 5.0) -> Positions:
    """Raise TargetError unless the mock answers and every configured deployment reaches it."""
    with httpx.Client(timeout=timeout, trust_env=False) as client:
        mock = MockClient(client, config.container_url)
        positions = _check_mock(mock, config.container_url)
        _check_routed(client, mock, config.gateway, config.container_url, list(config.headers), "--gateway")
        if config.other_gateway:
            _check_routed(client, mock, config.other_gateway, config.container_url, list(config.headers),
                          "--other-gateway")
    return positions
