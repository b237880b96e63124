"""Run only some checks of the suite (by check name) against a variant of the reference gateway.

`run_checks("tests.mutants.x:Gateway", ["prefer_property"])` starts the mock
container and the gateway on free ports, runs the suite with every other
check deselected (`-k`), and returns the result document: what those
checks, and only they, concluded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from conformance.runs.gateway.run import Listener, pytest_args
from conformance.judge.config import SuiteConfig
from conformance.runs.gateway.preflight import preflight
from conformance.judge.model import ResultDocument
from conformance.runs.gateway.targets import start_target
from tests.suite.runner import gateway_cmd

__all__ = ["run_checks", "verdicts"]


def run_checks(implementation: str | None, checks: Sequence[str], *, options: Sequence[str] = (),
               **config: Any) -> ResultDocument:
    """`options` are extra flags of `conformance gateway`; `config` fields of SuiteConfig."""
    cmd = gateway_cmd(implementation, *options)
    with start_target(gateway_cmd=cmd, other_gateway="http://127.0.0.1:{port}/other", container_timeout=4.5) as target:
        suite = SuiteConfig(gateway=target.gateway, container_url=target.container_url,
                            other_gateway=target.other_gateway, **config)
        preflight(suite)
        listener = Listener(None)
        args = pytest_args(target, suite, extra=["-k", " or ".join(checks)])
        pytest.main(args, plugins=[listener])
    assert listener.document is not None, "the suite produced no result document"
    ran = {record.name for record in listener.document.checks}
    assert ran == set(checks), f"expected exactly {sorted(checks)} to run, ran {sorted(ran)}"
    return listener.document


def verdicts(document: ResultDocument, check: str) -> dict[str, Any]:
    """The check's own verdicts by ID (not the requirement's aggregate)."""
    record = next(r for r in document.checks if r.name == check)
    return {v.id: v for v in record.verdicts}
