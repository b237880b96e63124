"""`mock-container`: flags, `MOCK_*` environment variables and a TOML file
become one Settings, then uvicorn serves the app.

Precedence, lowest to highest: built-in defaults < TOML file (--config) <
environment variables < command-line flags.
"""

from __future__ import annotations

import sys
import tomllib
from typing import Any

import click

from .settings import OVER_CAPACITY_CHOICES, Settings, SettingsError

__all__ = ["main"]

DEFAULTS = Settings()


def _load_config(ctx: click.Context, param: click.Parameter, path: str | None) -> str | None:
    """Eager: the TOML file becomes click's default map, below env and flags."""
    if not path:
        return path
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise click.BadParameter(f"cannot read {path}: {exc.strerror}", ctx, param) from None
    except tomllib.TOMLDecodeError as exc:
        raise click.BadParameter(f"{path} is not valid TOML: {exc}", ctx, param) from None
    known = set(Settings.keys())
    defaults: dict[str, Any] = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        if name not in known:
            raise click.BadParameter(f"{path}: unknown key {key!r} (known: {', '.join(sorted(known))})", ctx, param)
        defaults[name] = value
    ctx.default_map = {**(ctx.default_map or {}), **defaults}
    return path


def _option(*names: str, envvar: str, **kwargs: Any):
    return click.option(*names, envvar=envvar, show_envvar=True, show_default=True, **kwargs)


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config", type=click.Path(dir_okay=False), envvar="MOCK_CONFIG", show_envvar=True,
              is_eager=True, expose_value=False, callback=_load_config,
              help="TOML file whose keys are these flags' names (e.g. max-delay = 30).")
@_option("--host", envvar="MOCK_HOST", default=DEFAULTS.host, help="Address to bind.")
@_option("--port", envvar="MOCK_PORT", type=click.IntRange(1, 65535), default=DEFAULTS.port,
         help="Port for the inference side and the control API.")
@_option("--max-delay", envvar="MOCK_MAX_DELAY", type=click.FloatRange(min=0), default=DEFAULTS.max_delay,
         help="Cap in seconds for every delay field (and for hang/drip/stream durations).")
@_option("--journal-size", envvar="MOCK_JOURNAL_SIZE", type=click.IntRange(min=1), default=DEFAULTS.journal_size,
         help="Journal (and webhook sink) ring buffer: most entries kept.")
@_option("--journal-bytes", envvar="MOCK_JOURNAL_BYTES", type=click.IntRange(min=1),
         default=DEFAULTS.journal_bytes, help="Most body bytes the journal (and the sink) keep in total.")
@_option("--body-keep", envvar="MOCK_BODY_KEEP", type=click.IntRange(min=0), default=DEFAULTS.body_keep,
         help="Bytes of each body kept in the journal and echoed (size and sha256 always cover all).")
@_option("--max-body", envvar="MOCK_MAX_BODY", type=click.IntRange(min=1), default=DEFAULTS.max_body,
         help="Request body cap in bytes; larger bodies get 413.")
@_option("--max-response", envvar="MOCK_MAX_RESPONSE", type=click.IntRange(min=1), default=DEFAULTS.max_response,
         help="Most bytes of one response, a stream's pieces together; asking for more gets 400.")
@_option("--max-header-bytes", envvar="MOCK_MAX_HEADER_BYTES", type=click.IntRange(min=1),
         default=DEFAULTS.max_header_bytes, help="Most bytes of a request's line and headers; more gets 431.")
@_option("--inflight-bytes", envvar="MOCK_INFLIGHT_BYTES", type=click.IntRange(min=1),
         default=DEFAULTS.inflight_bytes,
         help="Most bytes of request and response bodies held by requests in progress; beyond, 503.")
@_option("--webhook-bytes", envvar="MOCK_WEBHOOK_BYTES", type=click.IntRange(min=1), default=DEFAULTS.webhook_bytes,
         help="Most bytes held by webhooks waiting for delivery (or a retry); beyond, 503.")
@_option("--task-bytes", envvar="MOCK_TASK_BYTES", type=click.IntRange(min=1), default=DEFAULTS.task_bytes,
         help="Most bytes of task-id results kept; beyond, the oldest task is forgotten.")
@_option("--scenario-bytes", envvar="MOCK_SCENARIO_BYTES", type=click.IntRange(min=1),
         default=DEFAULTS.scenario_bytes, help="Most bytes of registered scenarios; registering beyond gets 400.")
@_option("--capacity", envvar="MOCK_CAPACITY", type=click.IntRange(min=0), default=DEFAULTS.capacity,
         help="Most inference requests in flight (0 = unlimited).")
@_option("--over-capacity", envvar="MOCK_OVER_CAPACITY", type=click.Choice(OVER_CAPACITY_CHOICES),
         default=DEFAULTS.over_capacity, help="Beyond capacity: answer 429, answer 503, or queue.")
@_option("--ready-after", envvar="MOCK_READY_AFTER", type=click.FloatRange(min=0), default=DEFAULTS.ready_after,
         help="Seconds after start during which /health answers 503.")
@_option("--webhook-allow", envvar="MOCK_WEBHOOK_ALLOW", multiple=True, default=DEFAULTS.webhook_allow,
         help="Hosts webhooks may target: IPs, CIDR blocks or literal names (repeat, or separate by commas).")
@_option("--webhook-timeout", envvar="MOCK_WEBHOOK_TIMEOUT", type=click.FloatRange(min=0, min_open=True),
         default=DEFAULTS.webhook_timeout, help="Timeout in seconds of one webhook attempt.")
@_option("--log-level", envvar="MOCK_LOG_LEVEL", type=click.Choice(["critical", "error", "warning", "info", "debug"]),
         default=DEFAULTS.log_level, help="Server log level.")
def main(webhook_allow: tuple[str, ...], **values: Any) -> None:
    """A configurable fake inference container with a recording control API.

    Serves the inference side and the control API (/_mock/..., GET /health)
    on one port. Each flag can also be set by the environment variable shown,
    or by a key of the --config TOML file; flags win over the environment,
    the environment over the file. See docs/mock-container.md.
    """
    allow = tuple(part.strip() for entry in webhook_allow for part in entry.split(",") if part.strip())
    try:
        settings = Settings(webhook_allow=allow, **values)
    except (SettingsError, TypeError) as exc:
        raise click.UsageError(str(exc)) from None
    from .app import MockApp
    from .server import run

    click.echo(f"mock-container serving on http://{settings.host}:{settings.port}", err=True)
    run(MockApp(settings), settings.host, settings.port, settings.log_level, settings.max_header_bytes)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
