"""`conformance`: the command line of the kit.

Each subcommand lives beside the code it drives and is imported only when
it is called, so `conformance gateway` does not load pytest and
`conformance run` does not load the reference gateway's internals.
"""

from __future__ import annotations

import importlib

import click

#: subcommand name -> "module:attribute" of its click command
COMMANDS = {
    "run": "conformance.cli.run:run",
    "requirements": "conformance.cli.requirements:requirements",
    "gateway": "conformance.cli.gateway:gateway",
    "load": "conformance.cli.load:load",
    "report": "conformance.cli.report:report",
    "container": "conformance.cli.container:container",
    "diff": "conformance.cli.diff:diff",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        return getattr(importlib.import_module(module_name), attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="async-gateway-conformance")
def main() -> None:
    """Conformance kit for async inference gateways (Prefer: respond-async, -proxy, -container)."""
