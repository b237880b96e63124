"""Hooks the conformance plugin calls, for the CLI and for teams' own pytest plugins."""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("pytest")


@hookspec
def pytest_conformance_check_finished(record):  # type: ignore[no-untyped-def]
    """A check finished with this `CheckRecord`. Called from the engine's thread, as checks finish."""


@hookspec
def pytest_conformance_finished(document):  # type: ignore[no-untyped-def]
    """The run's `ResultDocument` is complete (called once, at the end of the test loop)."""
