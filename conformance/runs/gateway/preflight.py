"""Before any check: is the target there, and is its deployment routed to the mock container?

Each question has its own clear answer (exit code 2), because a suite that
runs forty checks against a wrong URL only produces forty confusing failures.
"""

from __future__ import annotations

import secrets

import httpx

from conformance.judge.config import SuiteConfig

__all__ = ["TargetError", "preflight"]

#: how long a request through the gateway may take to show up in the mock's journal
ROUTING_WAIT = 3.0


class TargetError(Exception):
    """The target cannot be tested as given; the message says why and what to do."""


def _hint(status: int) -> str:
    if status in (401, 403):
        return f" The gateway answered {status}: pass credentials with -H 'Authorization: Bearer ...' (CONFORMANCE_HEADER)."
    if status == 404:
        return " The gateway answered 404: check the deployment name in the inference base URL ({base}/{deployment})."
    return ""


def _check_mock(client: httpx.Client, container_url: str) -> None:
    url = container_url.rstrip("/") + "/health"
    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        raise TargetError(f"the mock container at {container_url} does not answer ({type(exc).__name__}: {exc}); "
                          "start it with `mock-container --port PORT` and pass its URL with --container-url") from None
    if response.status_code != 200:
        raise TargetError(f"the mock container at {container_url} is not ready: GET /health answered {response.status_code}")


def _check_routed(client: httpx.Client, base: str, container_url: str, headers: list[tuple[str, str]], flag: str) -> None:
    correlation = f"cf-preflight-{secrets.token_hex(6)}"
    url = f"{base.rstrip('/')}/conformance-preflight?mock-correlation={correlation}"
    try:
        response = client.get(url, headers=[("X-Mock-Correlation", correlation), *headers])
    except httpx.HTTPError as exc:
        raise TargetError(f"the gateway at {base} ({flag}) does not answer ({type(exc).__name__}: {exc})") from None
    try:
        waited = client.get(
            container_url.rstrip("/") + "/_mock/journal/wait",
            params={"correlation": correlation, "count": 1, "timeout": ROUTING_WAIT},
            timeout=ROUTING_WAIT + 5,
        )
        entries = waited.json().get("entries", []) if waited.status_code == 200 else []
    except (httpx.HTTPError, ValueError) as exc:
        raise TargetError(f"the mock container at {container_url} stopped answering ({exc})") from None
    if not entries:
        raise TargetError(
            f"the deployment at {base} ({flag}) is not routed to the mock container at {container_url}: "
            f"a request sent through the gateway (GET {url}, answered {response.status_code}) never reached it "
            f"within {ROUTING_WAIT:g} s.{_hint(response.status_code)}"
        )


def preflight(config: SuiteConfig, timeout: float = 5.0) -> None:
    """Raise TargetError unless the mock answers and every configured deployment reaches it."""
    with httpx.Client(timeout=timeout) as client:
        _check_mock(client, config.container_url)
        _check_routed(client, config.gateway, config.container_url, list(config.headers), "--gateway")
        if config.other_gateway:
            _check_routed(client, config.other_gateway, config.container_url, list(config.headers), "--other-gateway")
