"""The containers the container-mode tests judge: started once, in parallel, on free loopback ports.

- the session's mock container (tests/conftest.py), configured per run by
  the `mock` object of the sample body the run sends (docs/mock-container.md);
- a mock container whose health route is never ready (`--ready-after`);
- the broken starlette containers of tests/container/fixtures/;
- the two example containers of examples/.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.runs.launcher import ManagedServer, python_command

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def fixture_server(name: str) -> ManagedServer:
    return ManagedServer(python_command("uvicorn", f"tests.container.fixtures.{name}:app", "--port", "{port}",
                                        "--log-level", "warning"), name=name)


def example_server(name: str) -> ManagedServer:
    return ManagedServer([sys.executable, str(EXAMPLES / f"{name}.py"), "--port", "{port}"], name=name)


def start_all(servers: dict[str, ManagedServer]) -> None:
    """Start every server at once; if one fails, stop them all and raise its error."""
    errors: list[BaseException] = []

    def start(server: ManagedServer) -> None:
        try:
            server.start()
        except BaseException as exc:  # noqa: BLE001 - raised below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(s,)) for s in servers.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        for server in servers.values():
            server.stop()
        raise errors[0]


@pytest.fixture(scope="session")
def containers(mock_server: ManagedServer) -> Iterator[dict[str, str]]:
    """name -> base URL of every container the tests judge."""
    servers = {
        # health answers 503 for an hour: "never ready" for any --ready-timeout a test uses
        "never-ready": ManagedServer(python_command("mock_container", "--port", "{port}", "--ready-after", "3600"),
                                     name="never-ready-mock", health_path="/health", healthy_statuses=(503,)),
        "unknown-prefer-500": fixture_server("unknown_prefer_500"),
        "malformed-json-500": fixture_server("malformed_json_500"),
        "sync-example": example_server("sync_container"),
        "webhook-example": example_server("webhook_container"),
    }
    start_all(servers)
    try:
        yield {"mock": mock_server.url, **{name: server.url for name, server in servers.items()}}
    finally:
        for server in servers.values():
            server.stop()
