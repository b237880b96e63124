"""What a container run starts besides its sink: the author's container (--container-cmd) and,
with --through-gateway, the reference gateway in front of it.

The container command is split like a shell line (shlex) and run without
a shell, so a value filled in can never become shell syntax. `{port}` (a
free loopback port) and `{sink_url}` (the webhook URL of a deploy-time
target) are filled in its arguments and in the values of
`--container-env NAME=VALUE`; `{{` and `}}` stand for literal braces. The
run waits for the container's health route itself (ready.py), so the time
it took is CT-HEALTH-01's.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass

from conformance.judge.container_config import ContainerUsageError
from conformance.runs.launcher import ManagedServer, python_command

__all__ = ["ContainerCommand", "parse_env", "fill", "gateway_server", "DEPLOYMENT", "DEFAULT_URL", "FIELDS"]

#: what may be filled in a container command, its environment and --url
FIELDS = ("port", "sink_url")
#: the container's base URL when --container-cmd is given without --url
DEFAULT_URL = "http://127.0.0.1:{port}"
#: the embedded gateway's deployment name for the container
DEPLOYMENT = "demo"
#: environment variable names a shell would accept
_NAME_START = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"


def fill(template: str, flag: str, **values: str) -> str:
    """`template` with `values` (e.g. `{port}`) filled in; a usage error naming `flag` for anything else."""
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        names = " and ".join(f"{{{name}}}" for name in values)
        raise ContainerUsageError(f"{flag} {template!r}: only {names} can be filled in; write {{{{ and }}}} for a "
                                  f"literal brace ({type(exc).__name__}: {exc})") from None


def parse_env(values: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """`["WEBHOOK={sink_url}"]` -> `(("WEBHOOK", "{sink_url}"),)`; a usage error for anything not NAME=VALUE."""
    pairs = []
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name or name[0] not in _NAME_START or not all(c.isalnum() or c == "_" for c in name):
            raise ContainerUsageError(f"--container-env {value!r}: expected NAME=VALUE, NAME made of letters, "
                                      "digits and _ (not starting with a digit)")
        fill(text, f"--container-env {name}=", port="0", sink_url="")
        pairs.append((name, text))
    return tuple(pairs)


@dataclass(frozen=True)
class ContainerCommand:
    """--container-cmd and --container-env, checked before anything starts."""

    cmd: str
    env: tuple[tuple[str, str], ...] = ()

    def argv(self) -> list[str]:
        try:
            argv = shlex.split(self.cmd)
        except ValueError as exc:
            raise ContainerUsageError(f"--container-cmd {self.cmd!r}: cannot be split like a shell line: {exc}") from None
        if not argv:
            raise ContainerUsageError("--container-cmd is empty")
        for part in argv:
            fill(part, f"--container-cmd {self.cmd!r}: its argument", port="0", sink_url="")
        return argv

    def server(self, sink_url: str) -> ManagedServer:
        """The container as a child process on a free port (started by the caller with `launch()`)."""
        server = ManagedServer(self.argv(), name="container", substitutions={"sink_url": sink_url})
        server.env = {name: fill(text, f"--container-env {name}=", port=str(server.port), sink_url=sink_url)
                      for name, text in self.env}
        return server


def gateway_server(container_url: str, container_timeout: float) -> ManagedServer:
    """The reference gateway with the container as deployment `demo` (started by the caller)."""
    argv = python_command("conformance", "gateway", "--port", "{port}", "--deployment",
                          f"{DEPLOYMENT}={{container_url}}", "--container-timeout", f"{container_timeout:g}")
    return ManagedServer(argv, name="reference-gateway", substitutions={"container_url": container_url})
