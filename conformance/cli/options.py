"""Options `conformance run` and `conformance container` share: defined once, spelled the same.

Each factory takes the command's environment variable naming
(`CONFORMANCE_<OPTION>` for run, `CONFORMANCE_CT_<OPTION>` for
container), so the flags are identical and only their variables differ.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from conformance.http.origins import OriginError, parse_allowed
from conformance.judge.config import parse_header

__all__ = ["EXIT_USAGE", "UsageExit", "HeaderType", "OriginType", "env_prefix", "header_option", "allow_origin_option",
           "selection_options", "report_options", "verbose_option", "finish"]

EXIT_USAGE = 2

Env = Callable[[str], str]
Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


class UsageExit(click.UsageError):
    exit_code = EXIT_USAGE


class HeaderType(click.ParamType):
    """`Name: value`; in the environment one header per line."""

    name = "header"
    envvar_list_splitter = "\n"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        if isinstance(value, tuple):
            return value
        try:
            return parse_header(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class OriginType(click.ParamType):
    """`HOST`, `HOST:PORT` or `SCHEME://HOST[:PORT]`; in the environment separated by spaces."""

    name = "origin"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        try:
            return str(parse_allowed(value))
        except OriginError as exc:
            self.fail(str(exc), param, ctx)


def env_prefix(prefix: str) -> Env:
    """`env_prefix("CONFORMANCE_CT_")("JSON")` -> `CONFORMANCE_CT_JSON`."""
    return lambda name: f"{prefix}{name}"


def _stack(*decorators: Decorator) -> Decorator:
    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


def header_option(env: Env, target: str = "gateway") -> Decorator:
    return click.option(
        "-H", "--header", "headers", multiple=True, type=HeaderType(), envvar=env("HEADER"), metavar="'NAME: VALUE'",
        help=f"Extra header on every {target} request, e.g. 'Authorization: Bearer KEY' (repeatable; in the "
        "environment one per line). Their values are redacted in reports.")


def allow_origin_option(env: Env) -> Decorator:
    return click.option(
        "--allow-origin", "allow_origins", multiple=True, type=OriginType(), envvar=env("ALLOW_ORIGIN"), metavar="HOST",
        help="Follow a StatusPath or ResultPath that leads to this other origin: HOST (any port), HOST:PORT or "
        "SCHEME://HOST[:PORT] (repeatable; in the environment separated by spaces). It is followed WITHOUT the -H "
        "headers, which go only to the gateway's own origin (and --other-gateway's). Without it such a route is "
        "not requested at all and counts as a failure (GW-ASYNC-02; in a load run, of that submission).")


def selection_options(env: Env, example: str = "-k GW-ASYNC -k GW-STATUS-0") -> Decorator:
    """-k, --level, --strict, --expected-failures: which requirements count, and how."""
    return _stack(
        click.option("-k", "--select", multiple=True, envvar=env("SELECT"), metavar="PREFIX",
                     help=f"Only requirement IDs starting with PREFIX, e.g. {example} (repeatable)."),
        click.option("--level", "levels", multiple=True, type=click.Choice(["MUST", "SHOULD", "INFO"], case_sensitive=False),
                     envvar=env("LEVEL"), help="Only requirements of this level (repeatable)."),
        click.option("--strict/--no-strict", default=False, envvar=env("STRICT"), help="SHOULD failures fail the run too."),
        click.option("--expected-failures", type=click.Path(dir_okay=False), envvar=env("EXPECTED_FAILURES"), metavar="FILE",
                     help="Requirement IDs known to fail, one per line with a reason ('#' comments); they "
                     "do not fail the run, and one that passes is flagged."),
    )


def report_options(env: Env) -> Decorator:
    """The report files a run can write besides the console table (written by `finish`)."""
    return _stack(
        click.option("--json", "json_path", type=click.Path(dir_okay=False), envvar=env("JSON"), metavar="FILE",
                     help="Write the JSON result document (schema: conformance/reports/result.schema.json)."),
        click.option("--junit-xml", "junit_path", type=click.Path(dir_okay=False), envvar=env("JUNIT_XML"), metavar="FILE",
                     help="Write the JUnit XML report: one test case per check, one suite per requirement family."),
        click.option("--html", "html_path", type=click.Path(dir_okay=False), envvar=env("HTML"), metavar="FILE",
                     help="Write the self-contained HTML report: what broke, request timelines, exchanges, curl "
                     "reproductions. Both can also be rendered later from --json: `conformance report RUN.json --html FILE`."),
    )


def finish(document: Any, console: Any, errors: Any, *, json_path: str | None, junit_path: str | None,
           html_path: str | None, verbose: bool) -> NoReturn:
    """After a run: write the JUnit / HTML files, print the console report, exit with the run's code.

    (The JSON file is written by the run itself.) A report file that cannot be written exits 2.
    """
    from conformance.reports.console import render

    if json_path:
        console.print(f"JSON report: {json_path}", highlight=False)
    if junit_path or html_path:
        from conformance.reports.files import ReportError, write_reports

        try:
            for kind, path in write_reports(document.to_dict(), html=html_path, junit_xml=junit_path):
                console.print(f"{kind} report: {path}", highlight=False)
        except ReportError as exc:
            errors.print(f"[bold red]conformance: error:[/] {exc}", highlight=False)
            render(document, console, verbose=verbose)
            sys.exit(EXIT_USAGE)
    render(document, console, verbose=verbose)
    sys.exit(document.summary.exit_code)


def verbose_option(env: Env) -> Decorator:
    return click.option("-v", "--verbose", is_flag=True, default=False, envvar=env("VERBOSE"),
                        help="Show pytest's per-check lines, every failure detail and the notes of passed requirements.")
