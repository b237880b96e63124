"""`conformance report RUN.json --html F --junit-xml F --markdown F`: render the reports of a saved run again,
or record its failures as an expected-failures file (`--expected-failures-out F`)."""

from __future__ import annotations

import sys

import click

__all__ = ["report"]

EXIT_USAGE = 2


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("run_json", metavar="RUN.json", type=click.Path(dir_okay=False))
@click.option("--html", "html_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the self-contained HTML report (timelines, exchanges, curl reproductions).")
@click.option("--junit-xml", "junit_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the JUnit XML report (one test case per check, one suite per requirement family).")
@click.option("--markdown", "markdown_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the short Markdown report (for a pull-request comment or $GITHUB_STEP_SUMMARY).")
@click.option("--expected-failures-out", "expected_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the run's MUST and SHOULD failures as a YAML expected-failures file: the baseline a gateway "
              "that fails today starts from (docs/ci.md).")
def report(run_json: str, html_path: str | None, junit_path: str | None, markdown_path: str | None,
           expected_path: str | None) -> None:
    """Render reports from the JSON result of an earlier run (`conformance run --json RUN.json`).

    Exit codes: 0 the reports were written (whatever the run's verdict);
    2 a usage error, or RUN.json is not a result document this version reads.
    """
    from rich.console import Console

    from conformance.reports.files import ReportError, write_reports
    from conformance.reports.view import DocumentError, load

    errors = Console(stderr=True)
    if not (html_path or junit_path or markdown_path or expected_path):
        raise click.UsageError("nothing to write: give --html, --junit-xml, --markdown or --expected-failures-out FILE")
    try:
        written = write_reports(load(run_json), html=html_path, junit_xml=junit_path, markdown=markdown_path,
                                expected_failures=expected_path, source=run_json)
    except (DocumentError, ReportError) as exc:
        errors.print(f"[bold red]conformance report: error:[/] {exc}", highlight=False)
        sys.exit(EXIT_USAGE)
    for kind, path in written:
        click.echo(f"{kind} report: {path}")
