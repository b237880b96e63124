"""`conformance load`: run the Locust load conformance (locally, or as a distributed master or worker).

The command runs Locust itself (`python -m locust -f conformance/runs/load/locustfile.py`)
in a child process, so every Locust option and its distributed mode behave
exactly as documented by Locust, and the same verdicts come out whether the
run is started here or with `locust -f` directly. With no `--gateway` it
first starts the embedded mock container and reference gateway (like
`conformance run`) and stops them afterwards; with `--gateway-cmd` a mock
container and the team's gateway command. `--gateway` without
`--container-url` is a hosted gateway: the mock's journal is read through
it, after waiting for the deployment to become ready.

The run's headers (credentials) reach Locust in its environment
(`CONFORMANCE_LOAD_HEADERS`), never on its command line, which any user of
the machine can read with `ps`.
"""

from __future__ import annotations

import math
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from contextlib import ExitStack

import click

from conformance.cli.options import HeaderType, allow_origin_option
from conformance.judge.config import DEFAULT_READY_TIMEOUT, THROUGH_GATEWAY, SuiteConfig
from conformance.runs.gateway.preflight import TargetError, wait_ready
from conformance.runs.gateway.targets import Target, start_target
from conformance.runs.load.settings import (
    DEFAULT_LONG_POLL,
    DEFAULT_MIX,
    HEADERS_ENV,
    SettingsError,
    is_loopback_url,
    parse_mix,
)

__all__ = ["load", "locust_argv", "locust_env", "LOCUSTFILE", "parse_duration"]

LOCUSTFILE = str(Path(__file__).parents[1] / "runs" / "load" / "locustfile.py")
MAX_DURATION = 24 * 3600
CANNOT_JUDGE = 2
_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s?)?")


def parse_duration(text: str) -> int:
    """`90`, `90s`, `2m`, `1h30m` -> whole seconds (at least 1, at most a day)."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not text.strip() or not match or not any(match.groups()):
        raise SettingsError(f"duration: {text!r} is not a duration such as 30s, 2m or 1h30m")
    hours, minutes, seconds = match.groups()
    total = int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)
    if not 1 <= total <= MAX_DURATION:
        raise SettingsError(f"duration: {text!r} must be between 1 s and {MAX_DURATION // 3600} h")
    return round(total)


class _Duration(click.ParamType):
    name = "duration"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        try:
            return parse_duration(str(value))
        except SettingsError as exc:
            self.fail(str(exc), param, ctx)


class _Mix(click.ParamType):
    name = "mix"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        try:
            return str(parse_mix(str(value)))
        except SettingsError as exc:
            self.fail(str(exc), param, ctx)


def _env(name: str) -> str:
    return f"CONFORMANCE_{name}"


def locust_argv(*, gateway: str | None, container_urls: Sequence[str], users: int, spawn_rate: float,
                duration: int, mix: str, delay: float, t_accept: float, t_done: float | None, path: str,
                max_submissions: int, json_path: str | None, csv_prefix: str | None,
                html_path: str | None, strict: bool, allow_remote: bool, webhook_base: str | None,
                role: str, master_host: str, master_port: int, master_bind_host: str, expect_workers: int,
                workers_wait: int, stop_timeout: float, verbose: bool, target_mode: str,
                through_gateway: bool = False, long_poll: float | None = None,
                extra: Sequence[str] = (), allow_origins: Sequence[str] = ()) -> list[str]:
    """The Locust command line for one process of the run (role: local, master or worker).

    No header is on it: `locust_env` carries them."""
    argv = [sys.executable, "-m", "locust", "-f", LOCUSTFILE]
    if not verbose:
        argv += ["--loglevel", "WARNING"]
    if role == "worker":
        return argv + ["--worker", "--master-host", master_host, "--master-port", str(master_port), *extra]
    argv += ["--headless", "--users", str(users), "--spawn-rate", f"{spawn_rate:g}", "--run-time", f"{duration}s",
             "--stop-timeout", f"{math.ceil(stop_timeout)}s", "--host", gateway or ""]
    if not verbose:
        argv.append("--only-summary")
    if csv_prefix:
        argv += ["--csv", csv_prefix]
    if html_path:
        argv += ["--html", html_path]
    if role == "master":
        argv += ["--master", "--master-bind-host", master_bind_host, "--master-bind-port", str(master_port),
                 "--expect-workers", str(expect_workers), "--expect-workers-max-wait", str(workers_wait)]
    if through_gateway:
        argv.append("--conformance-through-gateway")
    else:
        argv += ["--conformance-container-url", " ".join(container_urls)]
    argv += [
        "--conformance-mix", mix,
        "--conformance-path", path,
        "--conformance-delay", f"{delay:g}",
        "--conformance-t-accept", f"{t_accept:g}",
        "--conformance-t-done", f"{t_done or 0:g}",
        "--conformance-max-submissions", str(max_submissions),
        "--conformance-target-mode", target_mode,
    ]
    if long_poll:
        argv += ["--conformance-long-poll", f"{long_poll:g}"]
    for entry in allow_origins:
        argv += ["--conformance-allow-origin", entry]
    if json_path:
        argv += ["--conformance-json", json_path]
    if webhook_base:
        argv += ["--conformance-webhook-base", webhook_base]
    if strict:
        argv.append("--conformance-strict")
    if allow_remote:
        argv.append("--conformance-allow-remote")
    return argv + list(extra)


def locust_env(headers: Sequence[tuple[str, str]], base: dict[str, str] | None = None) -> dict[str, str]:
    """The Locust process's environment: ours, plus the run's headers (one `Name: value` per line)."""
    env = dict(os.environ if base is None else base)
    if headers:
        env[HEADERS_ENV] = "\n".join(f"{name}: {value}" for name, value in headers)
    return env


#: the load reads the journal every second; a roomy ring still keeps a slow reader exact
LOAD_MOCK_ARGS = ("--journal-size", "200000", "--body-keep", "4096")


def _reference_args(users: int) -> tuple[str, ...]:
    """The embedded reference gateway sized for `users` concurrent clients: enough container slots that
    N users are N concurrent submissions, not a queue."""
    return ("--workers", str(max(64, users)), "--max-sync", str(max(256, users)), "--max-stored", "500000",
            "--retention", "900")


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _run(argv: list[str], env: dict[str, str]) -> int:
    child = subprocess.Popen(argv, env=env)
    try:
        return child.wait()
    except KeyboardInterrupt:
        # Locust got the same Ctrl-C (same process group): let it judge and quit
        try:
            return child.wait(timeout=120)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGTERM)
            return child.wait()


def _check_usage(gateway: str | None, container_urls: Sequence[str], gateway_cmd: str | None,
                 allow_remote: bool) -> None:
    if container_urls and not gateway and not gateway_cmd:
        raise click.UsageError("--container-url needs --gateway (without both, the embedded targets are used)")
    if container_urls and gateway_cmd:
        raise click.UsageError("--container-url is not used with --gateway-cmd: it starts its own mock container")
    for url in [gateway, *container_urls] if gateway and not gateway_cmd else []:
        if not allow_remote and not is_loopback_url(url):
            raise click.UsageError(f"{url} is not a loopback address; pass --allow-remote to load other hosts")


def _wait_hosted(gateway: str, headers: Sequence[tuple[str, str]], ready_timeout: float) -> None:
    """A hosted deployment may be scaled to zero: wait until its mock answers, saying so meanwhile."""
    config = SuiteConfig(gateway=gateway, container_url=gateway, headers=tuple(headers), mock_access=THROUGH_GATEWAY)
    waited = wait_ready(config, ready_timeout, on_progress=lambda line: click.echo(f"conformance load: {line}",
                                                                                   err=True))
    if waited >= 1.0:
        click.echo(f"conformance load: the deployment answered ready after {waited:.1f} s", err=True)


@click.command(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.option("--gateway", envvar=_env("GATEWAY"), metavar="URL",
              help="Inference base {base}/{deployment} of the gateway under test. Without --container-url the "
              "mock container behind it is read through it ({URL}/_mock/..., with the -H headers): a hosted "
              "gateway. Default: start the embedded reference gateway and mock container.")
@click.option("--container-url", "container_urls", multiple=True, envvar=_env("CONTAINER_URL"), metavar="URL",
              help="Mock container(s) behind the gateway, whose journals count deliveries (repeat for several; "
              "in the environment: space-separated), when the load machine reaches them directly.")
@click.option("--gateway-cmd", envvar=_env("GATEWAY_CMD"), metavar="CMD",
              help="Start a mock container, then this gateway command ({port} and {container_url} are filled in; "
              "split like a shell line, not run by a shell), load it, stop both. --gateway may then contain "
              "{port}; default http://127.0.0.1:{port}/mock.")
@click.option("--users", "-u", default=32, type=click.IntRange(1, 100_000), envvar=_env("LOAD_USERS"),
              help="Concurrent simulated clients (the contract's N) across all workers.")
@click.option("--spawn-rate", "-r", default=32.0, type=click.FloatRange(min=0, min_open=True),
              envvar=_env("LOAD_SPAWN_RATE"), help="Users started per second.")
@click.option("--duration", "-t", default="30s", type=_Duration(), envvar=_env("LOAD_DURATION"),
              help="How long the load runs (30s, 2m, 1h30m; at most 24h). In-flight work is then settled.")
@click.option("--mix", default=DEFAULT_MIX, type=_Mix(), envvar=_env("LOAD_MIX"),
              help="Relative weights of the modes (async, proxy, container, sync).")
@click.option("--delay", "-D", default=2.0, type=click.FloatRange(min=0), envvar=_env("DELAY"),
              help="D: seconds every container call is told to take (the container is saturated).")
@click.option("--t-accept", default=1.0, type=click.FloatRange(min=0, min_open=True), envvar=_env("T_ACCEPT"),
              help="T_accept: the bound on respond-async accept p99 (GW-LOAD-02).")
@click.option("--t-done", default=None, type=click.FloatRange(min=0, min_open=True), envvar=_env("T_DONE"),
              help="T_done: accept -> Completed bound. Default D + 5.")
@click.option("--path", default="/infer", envvar=_env("LOAD_PATH"), help="Path under the inference base.")
@click.option("--header", "-H", "headers", multiple=True, type=HeaderType(), envvar=_env("HEADER"),
              metavar="'NAME: VALUE'",
              help="Header sent on every gateway request, e.g. 'Authorization: Bearer KEY' (repeatable; in the "
              "environment one per line). Handed to Locust in its environment, never on its command line.")
@allow_origin_option(_env)
@click.option("--max-submissions", default=200_000, type=click.IntRange(1), envvar=_env("LOAD_MAX_SUBMISSIONS"),
              help="Submissions one load process makes at most (then its users stop).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), envvar=_env("JSON"),
              help="Write the verdicts here (the suite's result model). Locust's CSV and HTML go beside it.")
@click.option("--csv", "csv_prefix", default=None, metavar="PREFIX", help="Locust CSV stats prefix.")
@click.option("--html", "html_path", default=None, type=click.Path(dir_okay=False), help="Locust HTML report.")
@click.option("--strict", is_flag=True, envvar=_env("STRICT"), help="SHOULD failures fail the run too.")
@click.option("--allow-remote", is_flag=True, help="Allow non-loopback gateway and mock URLs.")
@click.option("--webhook-base", default=None, metavar="URL",
              help="One mock's URL as every mock reaches it, to collect all webhooks there (default: each mock "
              "delivers to its own sink).")
@click.option("--ready-timeout", type=click.FloatRange(min=0), default=DEFAULT_READY_TIMEOUT,
              envvar=_env("READY_TIMEOUT"), metavar="S",
              help="Mock read through the gateway: how long to wait for GET {gateway}/health to answer 200 first.")
@click.option("--long-poll", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_LONG_POLL,
              envvar=_env("LONG_POLL"), metavar="S",
              help="Mock read through the gateway: the longest one wait request on the mock may take.")
@click.option("--master", "role", flag_value="master", help="Be the distributed master: judge what workers report.")
@click.option("--worker", "role", flag_value="worker", help="Be a distributed worker: run users for --master-host.")
@click.option("--master-host", default="127.0.0.1", envvar=_env("LOAD_MASTER_HOST"), help="Worker: the master's address.")
@click.option("--master-port", default=5557, type=click.IntRange(1, 65535), envvar=_env("LOAD_MASTER_PORT"),
              help="Master: port to bind; worker: port to connect to.")
@click.option("--master-bind-host", default="127.0.0.1", envvar=_env("LOAD_MASTER_BIND_HOST"),
              help="Master: interface to listen on for workers (0.0.0.0 for workers on other machines).")
@click.option("--expect-workers", default=1, type=click.IntRange(1), envvar=_env("LOAD_EXPECT_WORKERS"),
              help="Master: start once this many workers are connected.")
@click.option("--workers-wait", default=120, type=click.IntRange(1), help="Master: give up after this many seconds "
              "without enough workers.")
@click.option("--verbose", "-v", is_flag=True, help="Show Locust's periodic stats and logs.")
@click.argument("locust_args", nargs=-1, type=click.UNPROCESSED)
def load(gateway, container_urls, gateway_cmd, users, spawn_rate, duration, mix, delay, t_accept, t_done, path,  # type: ignore[no-untyped-def]
         headers, allow_origins, max_submissions, json_path, csv_prefix, html_path, strict, allow_remote, webhook_base,
         ready_timeout, long_poll, role, master_host, master_port, master_bind_host, expect_workers, workers_wait,
         verbose, locust_args) -> None:
    """Load and soak conformance on Locust: GW-LOAD-01, GW-RESULT-05, GW-PROXY-05, GW-LOAD-02.

    Simulated clients submit in all four modes with distinct bodies, follow
    every respond-async Id to its result, and check each answer against its
    own submission (sha256); the mock containers' journals and webhook sinks
    count what reached the container. At the end (bounded by T_done) the
    verdicts use the suite's catalogue, report and exit codes: 0 no MUST
    failed (with --strict: no SHOULD either), 1 conformance failures, 2 the
    run could not be judged.

    \b
    Examples:
      conformance load -t 20s                            # embedded reference + mock
      conformance load --gateway http://127.0.0.1:8080/mock \\
                       --container-url http://127.0.0.1:8000 -u 50 -t 2m --json out/load.json
      conformance load --gateway https://host/deployment -H 'Authorization: Bearer KEY' --allow-remote
                                                         # hosted: the mock read through the gateway
      conformance load --gateway-cmd './my-gateway --port {port} --upstream {container_url}'
      conformance load --master --expect-workers 2 ...   # then on each load machine:
      conformance load --worker --master-host MASTER_IP

    Arguments after `--` go to Locust unchanged.
    """
    role = role or "local"
    if role != "worker":
        _check_usage(gateway, container_urls, gateway_cmd, allow_remote)
    if json_path:
        stem = os.path.splitext(json_path)[0]
        csv_prefix = csv_prefix or f"{stem}.locust"
        html_path = html_path or f"{stem}.locust.html"
    own_json = None
    if role != "worker" and not json_path:
        handle, own_json = tempfile.mkstemp(prefix="conformance-load-", suffix=".json")
        os.close(handle)
        os.unlink(own_json)  # written by the run; its absence afterwards means the run was not judged
    report = json_path or own_json or ""
    before = _mtime(report)
    through = role != "worker" and bool(gateway) and not container_urls and not gateway_cmd
    target_mode = "url"
    with ExitStack() as started:
        if role != "worker" and (not gateway or gateway_cmd):
            try:
                target: Target = started.enter_context(start_target(
                    gateway=gateway if gateway_cmd else None, gateway_cmd=gateway_cmd,
                    container_timeout=300.0, mock_args=LOAD_MOCK_ARGS, reference_args=_reference_args(users)))
            except TargetError as exc:
                click.echo(f"conformance load: cannot start the targets: {exc}", err=True)
                sys.exit(CANNOT_JUDGE)
            gateway, container_urls, target_mode = target.gateway, (target.container_url,), target.mode
        elif through:
            try:
                _wait_hosted(gateway, headers, ready_timeout)
            except TargetError as exc:
                click.echo(f"conformance load: {exc}", err=True)
                sys.exit(CANNOT_JUDGE)
        argv = locust_argv(
            gateway=gateway, container_urls=container_urls, users=users, spawn_rate=spawn_rate, duration=duration,
            mix=mix, delay=delay, t_accept=t_accept, t_done=t_done, path=path, max_submissions=max_submissions,
            json_path=json_path or own_json, csv_prefix=csv_prefix, html_path=html_path,
            strict=strict, allow_remote=allow_remote, webhook_base=webhook_base, role=role,
            master_host=master_host, master_port=master_port, master_bind_host=master_bind_host,
            expect_workers=expect_workers, workers_wait=workers_wait,
            stop_timeout=delay + t_accept + 1.0, verbose=verbose, target_mode=target_mode,
            through_gateway=through, long_poll=long_poll if through else None, extra=locust_args,
            allow_origins=allow_origins,
        )
        code = _run(argv, locust_env(headers))
    if role != "worker":
        judged = _mtime(report) not in (None, before)  # written by this run, not left from an earlier one
        if own_json and judged:
            os.unlink(own_json)
        if not judged and code in (0, 1):
            click.echo("conformance load: the run ended without verdicts (see Locust's output above)", err=True)
            code = CANNOT_JUDGE
    sys.exit(code)
