"""Options `conformance run` and `conformance container` share: defined once, spelled the same.

Each factory takes the command's environment variable naming
(`CONFORMANCE_<OPTION>` for run, `CONFORMANCE_CT_<OPTION>` for
container), so the flags are identical and only their variables differ.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import click

from conformance.http.origins import OriginError, parse_allowed
from conformance.judge.config import parse_header

__all__ = ["EXIT_USAGE", "UsageExit", "HeaderType", "OriginType", "env_prefix", "header_option", "allow_origin_option",
           "selection_options", "report_options", "gate_options", "GateOptions", "gate_options_of", "verbose_option",
           "finish", "version_line"]

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
                     help="Requirement IDs known to fail: one per line with a reason ('#' comments), or YAML (.yml/.yaml: "
                     "`ID: reason`, or `ID: {reason: ..., checks: [...]}` to excuse only those checks). They do not "
                     "fail the run; one that passes does (stale: remove it from FILE) unless --allow-stale. "
                     "An ID the contract does not have is a usage error."),
    )


@dataclass(frozen=True)
class GateOptions:
    """The options of a run used as a CI gate: how stale baselines count, the baseline run, the Markdown report."""

    allow_stale: bool = False
    baseline_path: str | None = None
    baseline: dict[str, Any] | None = None
    markdown_path: str | None = None


_GATE_KEY = "conformance.gate"


def gate_options_of(ctx: click.Context | None = None) -> GateOptions:
    """The gate options of the command being run (they are kept in the click context, not passed as arguments)."""
    ctx = ctx or click.get_current_context(silent=True)
    return ctx.meta.get(_GATE_KEY, GateOptions()) if ctx is not None else GateOptions()


def _keep(field_name: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def store(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        current = ctx.meta.get(_GATE_KEY, GateOptions())
        changes = {field_name: value}
        if field_name == "baseline_path" and value:
            changes["baseline"] = _read_baseline(value)
        ctx.meta[_GATE_KEY] = GateOptions(**{**current.__dict__, **changes})

    return store


def _read_baseline(path: str) -> dict[str, Any]:
    """The baseline run's JSON, read before the run starts so a wrong path costs nothing."""
    from conformance.reports.view import DocumentError, load

    try:
        return load(path)
    except DocumentError as exc:
        raise click.BadParameter(str(exc), param_hint="'--baseline'") from None


def gate_options(env: Env) -> Decorator:
    """--allow-stale, --baseline, --markdown: what a CI job gates on and shows. Read them with gate_options_of()."""
    return _stack(
        click.option("--allow-stale/--no-allow-stale", default=False, envvar=env("ALLOW_STALE"), expose_value=False,
                     callback=_keep("allow_stale"), is_eager=False,
                     help="A listed expected failure that now passes is reported but does not fail the run."),
        click.option("--baseline", type=click.Path(dir_okay=False), envvar=env("BASELINE"), metavar="BASE.json",
                     expose_value=False, callback=_keep("baseline_path"),
                     help="The JSON of an earlier run: after this run, print what changed per requirement (as "
                     "`conformance diff BASE.json`) and exit 1 on any regression."),
        click.option("--markdown", type=click.Path(dir_okay=False), envvar=env("MARKDOWN"), metavar="FILE",
                     expose_value=False, callback=_keep("markdown_path"),
                     help="Write a short Markdown report (summary, what broke with curl reproductions, the changes "
                     "since --baseline) for a pull-request comment or $GITHUB_STEP_SUMMARY."),
    )


def version_line(document: Any) -> str:
    """`async-gateway-conformance 0.1.0 · contract 1.1`: the first line of every console report."""
    tool = document.tool if hasattr(document, "tool") else document.get("tool", {})
    contract = document.contract if hasattr(document, "contract") else document.get("contract", {})
    return f"{tool.get('name', 'conformance')} {tool.get('version', '?')} · contract {contract.get('version', 'unknown')}"


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
    """After a run: write the JUnit / HTML / Markdown files, print the console report (and the changes since
    --baseline), exit with the run's code, or 1 when the baseline shows a regression.

    (The JSON file is written by the run itself.) A report file that cannot be written exits 2.
    """
    from conformance.reports.console import render

    gate = gate_options_of()
    data = document.to_dict()
    diff = None
    if gate.baseline is not None:
        from conformance.reports.diff import diff_documents
        from conformance.reports.view import DocumentError

        try:
            diff = diff_documents(gate.baseline, data, base_name=str(gate.baseline_path), new_name="this run")
        except DocumentError as exc:
            errors.print(f"[bold red]conformance: error:[/] --baseline {exc}", highlight=False)
            sys.exit(EXIT_USAGE)
    console.print(version_line(document), highlight=False, style="dim")
    if json_path:
        console.print(f"JSON report: {json_path}", highlight=False)
    if junit_path or html_path or gate.markdown_path:
        from conformance.reports.files import ReportError, write_reports

        try:
            for kind, path in write_reports(data, html=html_path, junit_xml=junit_path, markdown=gate.markdown_path,
                                            diff=diff):
                console.print(f"{kind} report: {path}", highlight=False)
        except ReportError as exc:
            errors.print(f"[bold red]conformance: error:[/] {exc}", highlight=False)
            render(document, console, verbose=verbose)
            sys.exit(EXIT_USAGE)
    render(document, console, verbose=verbose)
    _stale_lines(document, console)
    code = document.summary.exit_code
    if diff is not None:
        from conformance.reports.diff import render_console

        console.print(f"[bold]Since the baseline[/] {gate.baseline_path}:", highlight=False)
        render_console(diff, console)
        code = max(code, diff.exit_code)
    sys.exit(code)


def _stale_lines(document: Any, console: Any) -> None:
    from rich.text import Text

    summary = document.summary
    source = document.selection.get("expected_failures_file") or "the expected-failures file"
    for rid in summary.unexpected_passes:
        note = " (allowed: --allow-stale)" if summary.allow_stale else ""
        console.print(Text(f"{rid} now passes: remove it from {source}{note}", style="yellow"))


def verbose_option(env: Env) -> Decorator:
    return click.option("-v", "--verbose", is_flag=True, default=False, envvar=env("VERBOSE"),
                        help="Show pytest's per-check lines, every failure detail and the notes of passed requirements.")
