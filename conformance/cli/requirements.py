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
@click.option("--kind", type=click.Choice(["gateway", "container"]), default="gateway", show_default=True,
              help="gateway: what `conformance run` judges (GW-*); container: what `conformance container` judges (CT-*).")
@click.option("--changes", is_flag=True,
              help="Print the contract's changelog instead: per version, the IDs added, changed in level or wording, "
              "and retired (-k and --level filter it; --kind does not: a release is about the whole contract).")
def requirements(select, levels, as_json, kind, changes) -> None:  # type: ignore[no-untyped-def]
    """List the requirements a `conformance run` (or, with --kind container, `conformance container`)
    with the same selection would judge.

    Each row gives the contract ID, its level, the project's one-line
    statement and the checks that judge it.
    """
    from rich.console import Console
    from rich.table import Table

    from conformance.contract import catalogue
    from conformance.checks import KINDS, checks_for
    from conformance.judge.selection import Selection, SelectionError

    if changes:
        _changes(select, levels, as_json)
        return
    try:
        selection = Selection.make(select, [level.upper() for level in levels], kind=kind)
    except SelectionError as exc:
        raise click.UsageError(str(exc)) from None
    rows = [
        {"id": req.id, "level": req.level.value, "section": req.section, "statement": req.statement,
         "applies_when": req.applies_when, "checks": [c.name for c in checks_for(req.id)]}
        for req in catalogue.REQUIREMENTS.values() if req.id.startswith(KINDS[kind].prefix) and selection.covers(req.id)
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{kind.capitalize()} requirements", title_justify="left")
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


def _changes(select: tuple[str, ...], levels: tuple[str, ...], as_json: bool) -> None:
    """The changelog, newest release first; -k / --level keep the entries of matching IDs (retired ones included)."""
    from rich.console import Console
    from rich.table import Table

    from conformance.contract import catalogue, changelog

    prefixes = [p.strip().upper() for p in select if p.strip()]
    wanted = {level.upper() for level in levels}

    def keep(entry: changelog.Entry) -> bool:
        level = entry.level or (catalogue.REQUIREMENTS[entry.id].level.value if entry.id in catalogue.REQUIREMENTS else None)
        return (not prefixes or any(entry.id.startswith(p) for p in prefixes)) and (not wanted or level in wanted)

    releases = [(release, [e for e in release.entries if keep(e)]) for release in reversed(changelog.CHANGELOG)]
    if as_json:
        click.echo(json.dumps([
            {"version": r.version, "date": r.date, "summary": r.summary, "current": r.version == catalogue.VERSION,
             "entries": [{"id": e.id, "change": e.change.value, "note": e.note, "level": e.level,
                          "previous_level": e.previous_level} for e in entries]}
            for r, entries in releases], indent=2))
        return
    console = Console()
    console.print(f"Contract {catalogue.VERSION} (this kit's); changes per version, newest first", highlight=False)
    for release, entries in releases:
        table = Table(title=f"{release.version} ({release.date}): {release.summary}", title_justify="left", expand=True)
        table.add_column("ID", no_wrap=True)
        table.add_column("change", no_wrap=True)
        table.add_column("what", ratio=1)
        for entry in entries:
            change = entry.change.value
            if entry.change is changelog.Change.LEVEL:
                change += f" {entry.previous_level} -> {entry.level}"
            elif entry.change is changelog.Change.ADDED:
                change += f" ({entry.level})"
            table.add_row(entry.id, change, entry.note)
        if entries:
            console.print(table)
        else:
            console.print(f"[bold]{release.version}[/] ({release.date}): {release.summary}", highlight=False)
