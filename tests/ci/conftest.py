"""Helpers of the CI-gate tests: the real command line, in process, with its exit code and all it printed."""

from __future__ import annotations

from dataclasses import dataclass

from click.testing import CliRunner

from conformance.cli import main


@dataclass
class Invocation:
    exit_code: int
    output: str

    @property
    def text(self) -> str:
        """The output with its whitespace folded (rich wraps long lines)."""
        return " ".join(self.output.split())


def invoke(*args: str, env: dict[str, str] | None = None) -> Invocation:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return Invocation(result.exit_code, result.output + (result.stderr if result.stderr_bytes is not None else ""))
