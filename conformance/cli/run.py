"""`conformance run`: judge a gateway against the contract, print a per-requirement table, exit 0/1/2."""

from __future__ import annotations

import sys

import click

from conformance.cli.options import (
    EXIT_USAGE,
    UsageExit,
    env_prefix,
    allow_origin_option,
    finish,
    gate_options,
    gate_options_of,
    header_option,
    report_options,
    selection_options,
    verbose_option,
)
from conformance.judge.config import DEFAULT_DELAY, DEFAULT_N, DEFAULT_PARALLEL, DEFAULT_REQUEST_TIMEOUT, DEFAULT_T_ACCEPT
from conformance.judge.config import DEFAULT_LONG_POLL, DEFAULT_READY_TIMEOUT

__all__ = ["run"]

#: CONFORMANCE_<OPTION>; the options shared with `conformance container` come from commands/options.py
_env = env_prefix("CONFORMANCE_")


@click.command(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.option("--gateway", envvar=_env("GATEWAY"), metavar="URL",
              help="Inference base {base}/{deployment} of the gateway under test. Without --container-url the "
              "mock container behind it is reached through it ({URL}/_mock/..., with every -H header): a hosted "
              "gateway (docs/hosted.md). With --gateway-cmd it may contain {port}; default there: "
              "http://127.0.0.1:{port}/mock.")
@click.option("--container-url", envvar=_env("CONTAINER_URL"), metavar="URL",
              help="The mock container (mock-container) the gateway's deployment is routed to, when the suite "
              "can reach it directly.")
@click.option("--gateway-cmd", envvar=_env("GATEWAY_CMD"), metavar="CMD",
              help="Start this gateway command ({port} and {container_url} are filled in) after starting a mock "
              "container, run against it, stop both. It is no shell command: the text is filled in with Python's "
              "str.format (write {{ and }} for braces) and split into arguments with shlex.split, then run "
              "directly, so pipes, redirections, variables and && do not work; wrap them in `sh -c '...'` yourself.")
@click.option("--other-gateway", envvar=_env("OTHER_GATEWAY"), metavar="URL",
              help="Inference base of a second deployment routed to the same mock (enables GW-SEC-01).")
@header_option(_env)
@allow_origin_option(_env)
@click.option("--delay", type=click.FloatRange(min=0), default=DEFAULT_DELAY, envvar=_env("DELAY"), metavar="D",
              help="D: seconds the mock container takes in the slow cases.")
@click.option("--t-accept", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_T_ACCEPT, envvar=_env("T_ACCEPT"),
              metavar="S", help="T_accept: the most an async accept (202) may take while the container is slow.")
@click.option("--t-done", type=click.FloatRange(min=0, min_open=True), default=None, envvar=_env("T_DONE"), metavar="S",
              help="T_done: the most from accept until Completed.  [default: D + 5]")
@click.option("--concurrency", "n", type=click.IntRange(min=1), default=DEFAULT_N, envvar=_env("CONCURRENCY"), metavar="N",
              help="N: concurrent requests in the isolation and load checks.")
@click.option("--request-timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_REQUEST_TIMEOUT,
              envvar=_env("REQUEST_TIMEOUT"), metavar="S", help="Timeout of each HTTP request.")
@click.option("--parallel", type=click.IntRange(min=1), default=DEFAULT_PARALLEL, envvar=_env("PARALLEL"), metavar="K",
              help="Checks running at once.")
@click.option("--ready-timeout", type=click.FloatRange(min=0), default=DEFAULT_READY_TIMEOUT,
              envvar=_env("READY_TIMEOUT"), metavar="S",
              help="Mock reached through the gateway: how long to wait for GET {gateway}/health to answer 200 before "
              "the first check (a deployment scaled to zero starts first). 401, 403 and 404 stop at once.")
@click.option("--long-poll", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_LONG_POLL,
              envvar=_env("LONG_POLL"), metavar="S",
              help="Mock reached through the gateway: the longest one wait request on the mock's journal may take; "
              "longer waits are several. Keep it under the gateway's timeout for a silent container.")
@selection_options(_env)
@report_options(_env)
@gate_options(_env)
@click.option("--seed", type=int, default=None, envvar=_env("SEED"),
              help="Seed of the property and schema checks' generated examples (hypothesis). The same seed gives "
              "the same examples and verdicts.  [default: 0; random with --explore]")
@click.option("--examples", type=click.IntRange(min=1), default=None, envvar=_env("EXAMPLES"), metavar="N",
              help="Generated examples per property check (the stateful model runs about a third as many sequences).  "
              "[default: 30]")
@click.option("--explore/--no-explore", default=False, envvar=_env("EXPLORE"),
              help="Search longer: ten times the examples, a random seed unless --seed, and failing examples kept in "
              "--hypothesis-db and tried first next time.")
@click.option("--hypothesis-db", type=click.Path(file_okay=False), default=None, envvar=_env("HYPOTHESIS_DB"),
              metavar="DIR", help="Where --explore keeps hypothesis's example database.  [default: .hypothesis/conformance]")
@verbose_option(_env)
def run(gateway, container_url, gateway_cmd, other_gateway, headers, allow_origins, delay, t_accept, t_done, n, request_timeout,  # type: ignore[no-untyped-def]
        parallel, ready_timeout, long_poll, select, levels, strict, expected_failures, json_path, junit_path, html_path, seed, examples, explore,
        hypothesis_db, verbose) -> None:
    """Judge a gateway against every requirement of the contract.

    \b
    Targets:
      conformance run                         mock container + reference gateway, started here
      conformance run --gateway URL --container-url URL
                                              a running gateway whose deployment URL routes to
                                              a running mock container
      conformance run --gateway URL -H 'Authorization: Bearer KEY'
                                              a hosted gateway: the mock container deployed
                                              behind it, reached only through it
      conformance run --gateway-cmd 'CMD'     start the mock, then CMD with {port} and
                                              {container_url} filled in, then run

    Exit codes: 0 no MUST failed (with --strict: no SHOULD either); 1 conformance
    failures, a stale expected failure (unless --allow-stale) or a regression
    since --baseline; 2 usage errors or an unreachable / unrouted target.
    Every option can also be set as CONFORMANCE_<OPTION> (e.g. CONFORMANCE_GATEWAY).
    """
    from rich.console import Console

    from conformance.runs.gateway.run import SelectionError, SuiteError, TargetError, run_suite
    from conformance.checks import all_checks
    from rich.markup import escape

    from conformance.http.redact import redact_url
    from conformance.reports.console import LiveProgress
    from conformance.reports.unseen import terminal_safe
    from conformance.judge.selection import Selection

    console = Console()
    if not console.is_terminal:
        console = Console(width=140)  # CI logs: wide enough for one table row per line
    errors = Console(stderr=True, soft_wrap=True)  # an error names paths and URLs: never break them across lines
    if gateway_cmd is None and gateway is None and container_url:
        raise UsageExit("--container-url needs --gateway or --gateway-cmd (with neither, the suite starts its own mock)")
    try:
        selection = Selection.make(select, levels)
    except SelectionError as exc:
        raise UsageExit(str(exc)) from None
    total = sum(1 for check in all_checks() if selection.selects(check.ids))
    progress = LiveProgress(console, total) if not verbose and console.is_terminal else None

    def announce(target) -> None:  # type: ignore[no-untyped-def]
        where = {"reference": "the reference gateway (started here)", "gateway-cmd": "the gateway command (started here)",
                 "url": "the given gateway"}[target.mode]
        # the URLs may carry credentials (userinfo, ?key=) and markup-like brackets
        mock = "mock reached through the gateway" if target.through_gateway else f"mock {redact_url(target.container_url)}"
        shown = terminal_safe(f"{redact_url(target.gateway)} -> {mock}")
        console.print(f"[bold]conformance[/] {total} checks against {where}: {escape(shown)}", highlight=False)
        if progress is not None:
            progress.__enter__()

    try:
        try:
            document = run_suite(
                gateway=gateway, container_url=container_url, gateway_cmd=gateway_cmd, other_gateway=other_gateway,
                headers=headers, allow_origins=allow_origins, delay=delay, t_accept=t_accept, t_done=t_done, n=n, request_timeout=request_timeout,
                parallel=parallel, select=select, levels=[lv.upper() for lv in levels], strict=strict,
                expected_failures=expected_failures, json_path=json_path, seed=seed, examples=examples,
                allow_stale=gate_options_of().allow_stale,
                explore=explore, hypothesis_db=hypothesis_db,
                on_check_finished=progress.finished if progress is not None else None, on_target=announce,
                pytest_output=verbose, ready_timeout=ready_timeout, long_poll=long_poll,
                on_progress=lambda line: errors.print(f"conformance: {line}", highlight=False, markup=False),
            )
        finally:
            if progress is not None:
                progress.__exit__(None, None, None)
    except (TargetError, SelectionError, SuiteError) as exc:
        errors.print(f"[bold red]conformance: error:[/] {exc}", highlight=False)
        sys.exit(EXIT_USAGE)
    finish(document, console, errors, json_path=json_path, junit_path=junit_path, html_path=html_path, verbose=verbose)
