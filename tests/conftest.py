"""Fixtures shared by every test package: real servers on free loopback ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.runs.launcher import ManagedServer, python_command

#: the mutant score in the terminal summary; registered here because the xdist
#: controller loads no conftest below tests/ when pytest runs on the whole folder
pytest_plugins = ["tests.mutants.score"]


def start_mock(*extra_args: str, name: str = "mock-container") -> ManagedServer:
    """A mock container child process; the caller stops it."""
    return ManagedServer(python_command("mock_container", "--port", "{port}", *extra_args), name=name).start()


@pytest.fixture(scope="session")
def mock_server() -> Iterator[ManagedServer]:
    """One mock container for a whole test session (tests correlate their traffic)."""
    server = start_mock()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mock_url(mock_server: ManagedServer) -> str:
    return mock_server.url
