"""What `conformance run` runs against: a given URL, the reference gateway, or a team's gateway command.

A given gateway with no `--container-url` is judged with its mock reached
through it (`{gateway}/_mock/...`): the hosted form, where the container has
no other address. The two started forms bring up the mock container and the gateway on free
loopback ports (in parallel: both are Python processes that take a moment
to import) and stop both for sure afterwards.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from conformance.judge.config import DIRECT, THROUGH_GATEWAY
from conformance.runs.launcher import ManagedServer, ServerStartError, python_command
from conformance.runs.gateway.preflight import TargetError

__all__ = ["Target", "start_target", "DEFAULT_CMD_GATEWAY"]

#: the inference base of a --gateway-cmd gateway unless --gateway says otherwise
DEFAULT_CMD_GATEWAY = "http://127.0.0.1:{port}/mock"
ANY_STATUS = tuple(range(100, 600))


@dataclass(frozen=True)
class Target:
    mode: str  # "url", "reference" or "gateway-cmd"
    gateway: str
    #: where the suite reaches the mock's control API: the mock itself, or (THROUGH_GATEWAY) the gateway
    container_url: str
    other_gateway: str | None = None
    gateway_cmd: str | None = None
    mock_access: str = DIRECT

    @property
    def through_gateway(self) -> bool:
        return self.mock_access == THROUGH_GATEWAY


def _start_together(servers: list[ManagedServer]) -> None:
    """Start every server at once; if one fails, stop them all and raise its error."""
    errors: list[BaseException] = []

    def start(server: ManagedServer) -> None:
        try:
            server.start()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(server,)) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        _stop_together(servers)
        raise errors[0]


def _fill(template: str | None, values: dict[str, str], flag: str) -> str | None:
    if template is None:
        return None
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        raise TargetError(f"{flag} {template!r}: only {{port}} and {{container_url}} can be filled in ({exc})") from None


@contextmanager
def start_target(
    *,
    gateway: str | None = None,
    container_url: str | None = None,
    gateway_cmd: str | None = None,
    other_gateway: str | None = None,
    container_timeout: float = 4.5,
    start_timeout: float = 30.0,
    mock_args: Sequence[str] = (),
    reference_args: Sequence[str] = (),
) -> Iterator[Target]:
    """Yield the target to test, starting (and afterwards stopping) what has to be started.

    `mock_args` go to the mock container started here, `reference_args` to the reference gateway
    (e.g. `conformance load` sizes both for its users)."""
    if gateway_cmd is None and gateway is not None:
        if not container_url:  # a hosted gateway: its container is reached only through it
            yield Target("url", gateway, gateway, other_gateway, mock_access=THROUGH_GATEWAY)
            return
        yield Target("url", gateway, container_url, other_gateway)
        return
    if container_url and gateway_cmd is None:
        raise TargetError("--container-url needs --gateway (or --gateway-cmd): without a target the suite starts its own mock")
    mock = ManagedServer(python_command("mock_container", "--port", "{port}", *mock_args), name="mock-container",
                         start_timeout=start_timeout)
    values = {"container_url": mock.url}
    if gateway_cmd is not None:
        server = ManagedServer(gateway_cmd, name="gateway", substitutions=values, health_path="/",
                               healthy_statuses=ANY_STATUS, start_timeout=start_timeout)
        values["port"] = str(server.port)
        _fill(gateway_cmd, values, "--gateway-cmd")
        target = Target("gateway-cmd", _fill(gateway or DEFAULT_CMD_GATEWAY, values, "--gateway"), mock.url,
                        _fill(other_gateway, values, "--other-gateway"), gateway_cmd)
    else:
        argv = python_command(
            "conformance", "gateway", "--port", "{port}",
            "--deployment", "mock={container_url}", "--deployment", "other={container_url}",
            "--container-timeout", f"{container_timeout:g}", *reference_args,
        )
        server = ManagedServer(argv, name="reference-gateway", substitutions=values, start_timeout=start_timeout)
        target = Target("reference", f"{server.url}/mock", mock.url, f"{server.url}/other")
    try:
        _start_together([mock, server])
    except ServerStartError as exc:
        raise TargetError(str(exc)) from None
    try:
        yield target
    finally:
        _stop_together([server, mock])


def _stop_together(servers: list[ManagedServer]) -> None:
    """Stop every server at once (each may take its graceful-shutdown time)."""
    threads = [threading.Thread(target=server.stop) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
