"""Run the conformance suite against a variant of the reference gateway and read per-ID outcomes.

For the project's own proofs (the reference passes; each mutant in
tests/mutants fails the ID it breaks)::

    from tests.suite.runner import run_against
    doc = run_against("tests.mutants.async_.accept_without_location:Gateway", select=["GW-ASYNC"])
    assert doc.outcomes()["GW-ASYNC-04"] == "failed"
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence

from conformance.runs.gateway.run import run_suite
from conformance.judge.config import DEFAULT_DELAY
from conformance.judge.model import ResultDocument

__all__ = ["gateway_cmd", "run_against"]


def gateway_cmd(implementation: str | None = None, *options: str, delay: float = DEFAULT_DELAY,
                t_done: float | None = None, other: bool = True) -> str:
    """The command line of the reference gateway (or `implementation`, a `module:Class` subclass of it).

    Deployments `mock` and (with `other`) `other` both go to the suite's mock
    container; the container timeout sits between D and T_done so GW-RESULT-09
    can be judged.
    """
    done = t_done if t_done is not None else delay + 5.0
    argv = [sys.executable, "-m", "conformance", "gateway", "--port", "{port}", "--deployment", "mock={container_url}",
            "--container-timeout", f"{delay + (done - delay) / 2:g}"]
    if other:
        argv += ["--deployment", "other={container_url}"]
    if implementation:
        argv += ["--implementation", implementation]
    return shlex.join([*argv, *options])


def run_against(implementation: str | None = None, *, select: Sequence[str] = (), options: Sequence[str] = (),
                **kwargs) -> ResultDocument:  # type: ignore[no-untyped-def]
    """Start the mock and the gateway variant on free ports, run the (selected) suite, stop both.

    `options` are extra flags of `conformance gateway`; `kwargs` go to
    `conformance.runs.gateway.run.run_suite` (e.g. `delay`, `strict`, and `gateway` /
    `other_gateway` as templates with `{port}` for variants serving under a
    prefix). Keep D above T_accept (the defaults, D=2 and T_accept=1, do)
    when the run must judge GW-ASYNC-05, GW-PROXY-02 or GW-LOAD-02.
    """
    kwargs.setdefault("other_gateway", "http://127.0.0.1:{port}/other")
    cmd = gateway_cmd(implementation, *options, delay=kwargs.get("delay", DEFAULT_DELAY), t_done=kwargs.get("t_done"))
    return run_suite(gateway_cmd=cmd, select=select, **kwargs)
