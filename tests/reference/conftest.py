"""Fixtures of the reference gateway's tests: one shared mock container and
gateway per worker, traffic told apart by a correlation per test."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from conformance.runs.launcher import ManagedServer

from .harness import TIMEOUT, Journal, start_gateway


@pytest.fixture(scope="session")
def gateway_server(mock_url: str) -> Iterator[ManagedServer]:
    """The reference gateway with its defaults, deployment `mock`."""
    server = start_gateway(f"mock={mock_url}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def gateway_url(gateway_server: ManagedServer) -> str:
    return gateway_server.url


@pytest.fixture
def base(gateway_url: str) -> str:
    """The inference base URL of deployment `mock`."""
    return f"{gateway_url}/mock"


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=TIMEOUT) as http:
        yield http


@pytest.fixture(scope="session")
def journal(mock_url: str) -> Iterator[Journal]:
    reader = Journal(mock_url)
    yield reader
    reader.close()


@pytest.fixture
def correlation(request: pytest.FixtureRequest) -> str:
    """A tag unique to this test, for the mock's journal and webhook sink."""
    return f"{request.node.name[:60]}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def gateway_factory() -> Iterator[Callable[..., ManagedServer]]:
    """Start extra gateways (own flags); all are stopped after the test."""
    started: list[ManagedServer] = []

    def factory(*deployments: str, args: tuple[str, ...] = (), env: dict[str, str] | None = None) -> ManagedServer:
        server = start_gateway(*deployments, args=args, env=env)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()
