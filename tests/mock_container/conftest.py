"""Fixtures for the mock container's tests: a client on the shared mock and a
correlation id per test (so tests can share one server and run in parallel)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.mock_container.helpers import Mock


@pytest.fixture
def mock(mock_url: str) -> Iterator[Mock]:
    client = Mock(mock_url)
    yield client
    client.close()


@pytest.fixture
def corr(request: pytest.FixtureRequest) -> str:
    """A correlation id unique to this test (and readable in a failure)."""
    return f"{request.node.name[:60]}-{uuid.uuid4().hex[:12]}"

