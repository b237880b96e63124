"""`conformance container`: judge a container on its own against the CT-* requirements, exit 0/1/2."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.markup import escape
from rich.text import Text

from conformance.cli.options import (
    EXIT_USAGE,
    UsageExit,
    env_prefix,
    finish,
    gate_options,
    gate_options_of,
    header_option,
    report_options,
    selection_options,
    verbose_option,
)
from conformance.judge.config import DEFAULT_T_ACCEPT
from conformance.checks.container_context import fixed_webhook_url
from conformance.judge.container_config import (
    DEFAULT_CONTAINER_REQUEST_TIMEOUT,
    DEFAULT_READY_TIMEOUT,
    STYLES,
    ContainerUsageError,
    parse_supports,
)

__all__ = ["container"]

_env = env_prefix("CONFORMANCE_CT_")




class EnvAssignment(click.ParamType):
    """`NAME=VALUE` (checked by the run); in the environment one per line, so a value may hold spaces."""

    name = "NAME=VALUE"
    envvar_list_splitter = "\n"


@click.command(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.option("--url", envvar=_env("URL"), metavar="URL",
              help="Base URL of the running container, e.g. http://127.0.0.1:8000. With --container-cmd it may "
              "hold {port}.  [default with --container-cmd: http://127.0.0.1:{port}]")
@click.option("--container-cmd", envvar=_env("CONTAINER_CMD"), metavar="CMD",
              help="Start the container with this command, wait for its health route, run, stop it. {port} (a free "
              "port) and {sink_url} (the webhook URL for a deploy-time target) are filled in. CMD is split like a "
              "shell line (shlex) but NOT run by a shell: no pipes, redirections, $VARIABLES or `cd`; set variables "
              "with --container-env. Its last output lines are kept in the report when a requirement fails or it exits early; if it "
              "never starts, the run exits 2 quoting its last output lines.")
@click.option("--container-env", "container_env", multiple=True, type=EnvAssignment(), envvar=_env("CONTAINER_ENV"),
              metavar="NAME=VALUE",
              help="An environment variable of the container --container-cmd starts, {port} and {sink_url} filled "
              "in, e.g. WEBHOOK={sink_url} (repeatable; in the environment one per line).")
@click.option("--through-gateway", is_flag=True, default=False, envvar=_env("THROUGH_GATEWAY"),
              help="Also put the container behind an embedded reference gateway and try the four modes as a client "
              "would (CT-MODES-01, INFO): which work, which do not, which are not declared.")
@click.option("--path", default="/generate", envvar=_env("PATH"), metavar="PATH",
              help="The inference route the gateway forwards to (may carry a query string).")
@click.option("--health-path", default="/health", envvar=_env("HEALTH_PATH"), metavar="PATH",
              help="The health route a gateway polls before it sends traffic.")
@click.option("--supports", multiple=True, envvar=_env("SUPPORTS"), metavar="STYLES",
              help=f"Async styles the container implements on Prefer: respond-async, comma-separated: {', '.join(STYLES)} "
              "(fire-and-forget: acks and calls a webhook, for respond-async-proxy; task-id: answers with its own id, "
              "for respond-async-container). Their CT-ASYNC checks are skipped unless declared. fire-and-forget "
              "without --webhook-field/--webhook-header: the container calls a URL fixed when it starts "
              "({sink_url} in --container-cmd/--container-env, or the URL the console shows with --sink-port).  "
              "[default: none]")
@click.option("--body", "body_file", type=click.Path(exists=True, dir_okay=False, readable=True), envvar=_env("BODY"),
              metavar="FILE", help="A sample request body your container accepts.  [default: a small JSON prompt]")
@click.option("--content-type", default="application/json", envvar=_env("CONTENT_TYPE"), metavar="TYPE",
              help="Content-Type of the sample body.")
@click.option("--webhook-field", envvar=_env("WEBHOOK_FIELD"), metavar="NAME",
              help="Top-level field of the (JSON object) sample body that tells the container its webhook URL; "
              "the suite sets it to its own sink in a copy of the body.")
@click.option("--webhook-header", envvar=_env("WEBHOOK_HEADER"), metavar="NAME",
              help="Request header that tells the container its webhook URL (instead of, or besides, --webhook-field).")
@header_option(_env, target="container")
@click.option("--t-accept", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_T_ACCEPT, envvar=_env("T_ACCEPT"),
              metavar="S", help="T_accept: the most a respond-async ack may take.")
@click.option("--t-done", type=click.FloatRange(min=0, min_open=True), default=None, envvar=_env("T_DONE"), metavar="S",
              help="T_done: the most from the ack until the webhook call.  [default: 7, the contract's D + 5]")
@click.option("--ready-timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_READY_TIMEOUT,
              envvar=_env("READY_TIMEOUT"), metavar="S", help="How long to wait for the health route to answer 200.")
@click.option("--request-timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_CONTAINER_REQUEST_TIMEOUT,
              envvar=_env("REQUEST_TIMEOUT"), metavar="S", help="Timeout of each request to the container.")
@click.option("--sink-host", default="127.0.0.1", envvar=_env("SINK_HOST"), metavar="HOST",
              help="Address the suite's webhook sink binds to.")
@click.option("--sink-port", type=click.IntRange(0, 65535), default=0, envvar=_env("SINK_PORT"), metavar="PORT",
              help="Port of the webhook sink (0: a free one). Fix it for a container you start yourself with a "
              "deploy-time webhook URL: http://127.0.0.1:PORT/_mock/webhooks/container.")
@click.option("--sink-url", envvar=_env("SINK_URL"), metavar="URL",
              help="Base URL the container reaches the sink at, if not http://HOST:PORT (e.g. from a Docker container: "
              "http://host.docker.internal:{port}); {port} is filled in.")
@selection_options(_env, example="-k CT-ASYNC -k CT-SYNC-02")
@report_options(_env)
@gate_options(_env)
@verbose_option(_env)
def container(url, container_cmd, container_env, through_gateway, path, health_path, supports, body_file, content_type, webhook_field, webhook_header, headers,  # type: ignore[no-untyped-def]
              t_accept, t_done, ready_timeout, request_timeout, sink_host, sink_port, sink_url, select, levels, strict,
              expected_failures, json_path, junit_path, html_path, verbose) -> None:
    """Check a container, before you deploy it, against what a gateway needs from it (the CT-* requirements).

    \b
    The suite sends what a gateway would send: the sample request (--body) with no
    Prefer, with unknown Prefer values, with Prefer: respond-async for each async
    style you declare (--supports), and malformed input; it runs a webhook sink and
    tells the container its URL: in each request (--webhook-field, --webhook-header)
    or once, when it starts ({sink_url}: a deploy-time target).
    \b
      conformance container --url http://127.0.0.1:8000
      conformance container --url http://127.0.0.1:8000 --supports fire-and-forget \\
          --body sample.json --webhook-field webhook_url
      conformance container --container-cmd 'python app.py --port {port}' \\
          --container-env 'WEBHOOK={sink_url}' --path /generate_webhook \\
          --supports fire-and-forget --body sample.json --through-gateway

    Exit codes: 0 no MUST failed (with --strict: no SHOULD either); 1 conformance
    failures; 2 usage errors or a container that never answered (or never started).
    Every option can also be set as CONFORMANCE_CT_<OPTION> (e.g. CONFORMANCE_CT_URL).
    """
    from rich.console import Console

    from conformance.checks import all_checks
    from conformance.runs.container.run import SelectionError, SuiteError, TargetError, run_container_suite
    from conformance.reports.console import LiveProgress
    from conformance.judge.selection import Selection

    console = Console()
    if not console.is_terminal:
        console = Console(width=140)
    errors = Console(stderr=True)
    try:
        styles = parse_supports(supports)
        selection = Selection.make(select, levels, kind="container")
        body = Path(body_file).read_bytes() if body_file else None
    except (ContainerUsageError, SelectionError) as exc:
        raise UsageExit(str(exc)) from None
    except OSError as exc:
        raise UsageExit(f"--body {body_file}: {exc.strerror or exc}") from None
    total = sum(1 for check in all_checks("container") if selection.selects(check.ids))
    progress = LiveProgress(console, total) if not verbose and console.is_terminal else None

    def announce(config) -> None:  # type: ignore[no-untyped-def]
        for line in _announcement(config, total, container_cmd):
            console.print(line)
        if progress is not None:
            progress.__enter__()

    try:
        try:
            document = run_container_suite(
                url=url, container_cmd=container_cmd, container_env=container_env, through_gateway=through_gateway,
                path=path, health_path=health_path, supports=styles, body=body, content_type=content_type,
                webhook_field=webhook_field, webhook_header=webhook_header, headers=headers, t_accept=t_accept,
                t_done=t_done, ready_timeout=ready_timeout, request_timeout=request_timeout, sink_host=sink_host,
                sink_port=sink_port, sink_url=sink_url, select=select, levels=[lv.upper() for lv in levels],
                strict=strict, expected_failures=expected_failures, json_path=json_path,
                allow_stale=gate_options_of().allow_stale,
                on_check_finished=progress.finished if progress is not None else None, on_ready=announce,
                pytest_output=verbose,
            )
        finally:
            if progress is not None:
                progress.__exit__(None, None, None)
    except (ContainerUsageError, SelectionError) as exc:
        raise UsageExit(str(exc)) from None
    except (TargetError, SuiteError) as exc:
        errors.print(f"[bold red]conformance: error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(EXIT_USAGE)
    for line in _after_run(document):
        console.print(line)
    finish(document, console, errors, json_path=json_path, junit_path=junit_path, html_path=html_path, verbose=verbose)


def _announcement(config, total: int, container_cmd: str | None) -> list[Text]:  # type: ignore[no-untyped-def]
    """What the run is about to do: the container, how it learns its webhook URL, the gateway in front."""
    readiness = config.readiness
    state = f"ready after {readiness.waited:.1f} s" if readiness.ready else f"not ready after {readiness.waited:.1f} s"
    started = f"started with {container_cmd}; " if container_cmd else ""
    declared = ", ".join(sorted(config.supports)) or "none"
    lines = [Text.assemble(("conformance", "bold"), f" {total} checks against the container {config.url} ({started}"
                           f"{state}; async styles declared: {declared})")]
    mode = config.webhook_mode
    if mode == "deploy-time":
        lines.append(Text(f"webhook: a deploy-time target; the container must call {fixed_webhook_url(config.sink_url)}"
                          " (calls are matched to the requests it accepted by order: the checks send one at a time)"))
    elif mode == "request":
        told = " and ".join(f"--webhook-{kind} {name}" for kind, name in
                            (("field", config.webhook_field), ("header", config.webhook_header)) if name)
        lines.append(Text(f"webhook: a URL per request under {config.sink_url}/_mock/webhooks/ ({told})"))
    if config.gateway_url:
        lines.append(Text(f"gateway modes: the container is also behind the reference gateway at {config.gateway_url}"))
    return lines


def _after_run(document) -> list[Text]:  # type: ignore[no-untyped-def]
    """The gateway modes the container works with (CT-MODES-01), and the started container's output if kept."""
    lines = []
    modes = next((r for r in document.requirements if r.id == "CT-MODES-01" and r.data.get("modes")), None)
    if modes is not None:
        lines.append(Text("gateway modes behind the reference gateway (CT-MODES-01):", style="bold"))
        for mode, verdict in modes.data["modes"].items():
            style = {"works": "green", "does not": "red"}.get(verdict, "dim")
            lines.append(Text.assemble(f"  {mode}: ", (verdict, style), f"  {modes.data['evidence'][mode]}"))
    if document.target.cmd_output:
        lines.append(Text("the container's last output lines (--container-cmd):", style="bold"))
        lines.extend(Text(f"  | {line}") for line in document.target.cmd_output.splitlines())
    return lines
