"""`conformance requirements`: the catalogue, and which checks would run for each requirement."""

from __future__ import annotations

import json

import click

__all__ = ["requirements"]


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-k", "--select", multiple=True, envvar="CONFORMANCE_SELECT", metavar="PREFIX",
              help="Only requirement IDs starting with PREFIX (repeatable), as `conformance run -k`.")
@click.option("--level", "levels", multiple=True, type=click.Choice(["MUST", "SHOULD", "INFO"], case_sensitive=False),
              envvar="CONFORMANCE_LEVEL", help="Only requirements of this level (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def requirements(select, levels, as_json) -> None:  # type: ignore[no-untyped-def]
    """List the gateway requirements a `conformance run` with the same selection would judge.

    Each row gives the contract ID, its level, the project's one-line
    statement and the checks that judge it.
    """
    from rich.console import Console
    from rich.table import Table

    from conformance import catalogue
    from conformance.checks import checks_for
    from conformance.selection import Selection, SelectionError

    try:
        selection = Selection.make(select, [level.upper() for level in levels])
    except SelectionError as exc:
        raise click.UsageError(str(exc)) from None
    rows = [
        {"id": req.id, "level": req.level.value, "section": req.section, "statement": req.statement,
         "applies_when": req.applies_when, "checks": [c.name for c in checks_for(req.id)]}
        for req in catalogue.gateway_requirements() if selection.covers(req.id)
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="Gateway requirements", title_justify="left")
    table.add_column("ID", no_wrap=True)
    table.add_column("level", no_wrap=True)
    table.add_column("requirement", ratio=3)
    table.add_column("checks", ratio=2, overflow="fold")
    for row in rows:
        statement = row["statement"] + (f" (only when {row['applies_when']})" if row["applies_when"] else "")
        table.add_row(row["id"], row["level"], statement, ", ".join(row["checks"]))
    console = Console()
    console.print(table)
    checks = {name for row in rows for name in row["checks"]}
    console.print(f"{len(rows)} requirements, {len(checks)} checks")
