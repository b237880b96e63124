"""`conformance diff BASE.json NEW.json`: what changed per requirement between two runs; exit 1 on a regression."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from conformance.cli.options import EXIT_USAGE

__all__ = ["diff"]


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("base_json", metavar="BASE.json", type=click.Path(dir_okay=False))
@click.argument("new_json", metavar="NEW.json", type=click.Path(dir_okay=False))
@click.option("--markdown", "markdown_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Also write the changes as Markdown (for a pull-request comment or $GITHUB_STEP_SUMMARY).")
def diff(base_json: str, new_json: str, markdown_path: str | None) -> None:
    """Compare two result documents (`conformance run --json`) requirement by requirement.

    \b
    Per ID: fixed, regressed, new ID, removed ID, level changed, wording
    changed, form changed (e.g. Status names -> integers), now / no longer
    judged. Each change names its cause: `contract` when the two runs judged
    different contract versions and the changelog explains it
    (`conformance requirements --changes`), `selection` when the runs selected
    different IDs, `kit` when the same contract is judged differently by two
    kit versions, `gateway` otherwise.

    Exit codes: 0 no regression; 1 a requirement that did not fail in BASE
    fails in NEW; 2 a usage error, or a file that is not a result document.
    """
    from rich.console import Console

    from conformance.reports.diff import diff_documents, render_console
    from conformance.reports.markdown import render_diff_markdown
    from conformance.reports.view import DocumentError, load

    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    errors = Console(stderr=True)
    try:
        changes = diff_documents(load(base_json), load(new_json), base_name=base_json, new_name=new_json)
    except DocumentError as exc:
        errors.print(f"[bold red]conformance diff: error:[/] {exc}", highlight=False)
        sys.exit(EXIT_USAGE)
    render_console(changes, console)
    if markdown_path:
        try:
            Path(markdown_path).parent.mkdir(parents=True, exist_ok=True)
            Path(markdown_path).write_text(render_diff_markdown(changes), encoding="utf-8")
        except OSError as exc:
            errors.print(f"[bold red]conformance diff: error:[/] cannot write {markdown_path}: {exc.strerror or exc}",
                         highlight=False)
            sys.exit(EXIT_USAGE)
        console.print(f"Markdown: {markdown_path}", highlight=False)
    sys.exit(changes.exit_code)
