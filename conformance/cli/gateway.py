"""`conformance gateway`: run the reference gateway (or a variant of it) in front of containers."""

from __future__ import annotations

import importlib
import logging
import re

import click

from conformance.reference.config import ConfigError, GatewayConfig, MiB, StatusEncoding, parse_deployment, public_url

__all__ = ["gateway", "load_implementation"]

_SIZE = re.compile(r"\s*(\d+)\s*(|b|k|kb|kib|m|mb|mib|g|gb|gib)\s*", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": MiB, "mb": MiB, "mib": MiB}
_UNITS.update({"g": 1024 * MiB, "gb": 1024 * MiB, "gib": 1024 * MiB})


class ByteSize(click.ParamType):
    """`1048576`, `512KiB`, `16MiB`, `1GiB` (binary units, case-insensitive)."""

    name = "size"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        if isinstance(value, int):
            return value
        match = _SIZE.fullmatch(str(value))
        if not match:
            self.fail(f"{value!r} is not a size such as 1048576, 512KiB, 16MiB or 1GiB", param, ctx)
        return int(match.group(1)) * _UNITS[match.group(2).lower()]


def load_implementation(target: str) -> type:
    """`module:Class` -> the class, which must be the reference gateway or a subclass of it."""
    from conformance.reference.gateway import ReferenceGateway

    module_name, sep, attribute = target.partition(":")
    if not sep or not module_name or not attribute:
        raise click.BadParameter(f"{target!r}: expected module:Class", param_hint="--implementation")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise click.BadParameter(f"cannot import {module_name!r}: {exc}", param_hint="--implementation") from exc
    cls = getattr(module, attribute, None)
    if not (isinstance(cls, type) and issubclass(cls, ReferenceGateway)):
        raise click.BadParameter(
            f"{target!r} is not a subclass of conformance.reference.ReferenceGateway", param_hint="--implementation"
        )
    return cls


def _env(name: str) -> str:
    return f"CONFORMANCE_GATEWAY_{name}"


@click.command(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.option(
    "--deployment", "-d", "deployments", multiple=True, required=True, metavar="NAME=URL[,URL...]",
    envvar=_env("DEPLOYMENT"),
    help="A container behind the gateway: requests to /NAME/PATH go to URL/PATH. Several comma-separated URLs "
    "are replicas of one deployment, each request going to the next one in turn. Repeat for several "
    "deployments (in the environment: space-separated). Names status, result and health are reserved.",
)
@click.option("--host", default="127.0.0.1", envvar=_env("HOST"),
              help="Interface to listen on (0.0.0.0 exposes it to the network).")
@click.option("--port", "-p", default=8080, type=click.IntRange(0, 65535), envvar=_env("PORT"),
              help="Port to listen on.")
@click.option(
    "--api-key", default=None, envvar=_env("API_KEY"),
    help="Require Authorization: Bearer API_KEY on every route but /health (401 otherwise), like the "
    "provider's inference keys. The key is not forwarded to containers. Default: no auth.",
)
@click.option("--workers", default=64, type=click.IntRange(1), envvar=_env("WORKERS"),
              help="Concurrent container calls per deployment for respond-async and respond-async-proxy; "
              "requests waiting for a worker show status Queue.")
@click.option("--queue-size", default=1024, type=click.IntRange(1), envvar=_env("QUEUE_SIZE"),
              help="Async requests per deployment that may wait for a worker; beyond it: 503 with Retry-After.")
@click.option("--max-sync", default=256, type=click.IntRange(1), envvar=_env("MAX_SYNC"),
              help="Concurrent synchronous and respond-async-container requests per deployment; beyond it: 503.")
@click.option("--max-stored", default=10_000, type=click.IntRange(1), envvar=_env("MAX_STORED"),
              help="respond-async requests (pending or completed) kept at once; beyond it: 503 with Retry-After.")
@click.option("--max-stored-bytes", default="1GiB", type=ByteSize(), envvar=_env("MAX_STORED_BYTES"),
              help="Memory for queued request bodies plus stored result bodies; beyond it: 503.")
@click.option("--retention", default=600.0, type=click.FloatRange(min=0, min_open=True), envvar=_env("RETENTION"),
              help="Seconds a completed result stays readable; afterwards its status and result answer 404.")
@click.option("--max-body", default="32MiB", type=ByteSize(), envvar=_env("MAX_BODY"),
              help="Largest request body accepted; beyond it: 413.")
@click.option("--max-uploads", default=32, type=click.IntRange(1), envvar=_env("MAX_UPLOADS"),
              help="Request bodies over 64 KiB (or of unknown length) read at once, across deployments; beyond it: "
              "503 with Retry-After before a byte of the body is read. Uploads hold at most this x --max-body.")
@click.option("--max-result-body", default="64MiB", type=ByteSize(), envvar=_env("MAX_RESULT_BODY"),
              help="Largest container answer stored as a respond-async result; beyond it the result is a 502.")
@click.option("--container-timeout", default=300.0, type=click.FloatRange(min=0, min_open=True),
              envvar=_env("CONTAINER_TIMEOUT"),
              help="Seconds a respond-async or -proxy call may take in total (then the result is a 504), and the "
              "longest silence while relaying a synchronous or -container response. For the conformance "
              "suite's GW-RESULT-09 set it between D and D+5 (e.g. 5 for D=2).")
@click.option("--connect-timeout", default=5.0, type=click.FloatRange(min=0, min_open=True),
              envvar=_env("CONNECT_TIMEOUT"),
              help="Seconds to open a connection to a container.")
@click.option("--connect-retries", default=2, type=click.IntRange(0, 10), envvar=_env("CONNECT_RETRIES"),
              help="Extra attempts when a container refuses the connection (nothing was sent, so no duplicate "
              "is possible). A request that reached the container is never sent again.")
@click.option("--status-encoding", type=click.Choice([e.value for e in StatusEncoding]), default="names",
              envvar=_env("STATUS_ENCODING"),
              help="Status as names (Initialized, Queue, Inference, Completed: what the provider's client parses) "
              "or integers 0-3 (the provider's tutorial). Both are legal.")
@click.option("--implementation", default="conformance.reference.gateway:ReferenceGateway", metavar="MODULE:CLASS",
              envvar=_env("IMPLEMENTATION"),
              help="For testing variants: run this subclass of the reference gateway instead "
              "(e.g. a deliberately broken mutant from tests/mutants).")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]), default="warning",
              envvar=_env("LOG_LEVEL"), help="Server log level.")
@click.option("--access-log/--no-access-log", default=False, envvar=_env("ACCESS_LOG"), help="Log every request.")
def gateway(deployments, host, port, api_key, workers, queue_size, max_sync, max_stored, max_stored_bytes,  # type: ignore[no-untyped-def]
            retention, max_body, max_uploads, max_result_body, container_timeout, connect_timeout, connect_retries,
            status_encoding, implementation, log_level, access_log) -> None:
    """Run the reference gateway: the provider's async inference layer, locally.

    \b
    Routes (provider's layout):
      ANY  /NAME/PATH        forwarded to the deployment's container (the next replica) as /PATH
      GET  /status/NAME      status of a respond-async request (header X-Inference-Id)
      GET  /result/NAME      its result (202 with the status until Completed)
      GET  /health           200 when up (no auth)

    \b
    Prefer on the inference route selects the mode:
      (none / anything else)    synchronous: the container's answer is streamed back
      respond-async             202 {Id, StatusPath, ResultPath}; the gateway calls the
                                container without the token and keeps the result
      respond-async-proxy       202, empty body; the container gets Prefer: respond-async once
      respond-async-container   the container gets Prefer: respond-async; its answer is returned

    \b
    Example:
      conformance gateway --port 8080 --deployment mock=http://127.0.0.1:8000

    Every option can also be set in the environment as CONFORMANCE_GATEWAY_<OPTION>
    (e.g. CONFORMANCE_GATEWAY_API_KEY).
    """
    import uvicorn

    cls = load_implementation(implementation)
    try:
        config = GatewayConfig(
            deployments=[parse_deployment(text) for text in deployments],
            api_key=api_key,
            workers=workers,
            queue_size=queue_size,
            max_sync=max_sync,
            max_stored=max_stored,
            max_stored_bytes=max_stored_bytes,
            retention=retention,
            max_body=max_body,
            max_uploads=max_uploads,
            max_result_body=max_result_body,
            container_timeout=container_timeout,
            connect_timeout=connect_timeout,
            connect_retries=connect_retries,
            status_encoding=StatusEncoding(status_encoding),
        )
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s:    %(message)s"))
    gateway_log = logging.getLogger("conformance.reference")
    gateway_log.addHandler(handler)
    gateway_log.setLevel(log_level.upper())
    gateway_log.propagate = False
    instance = cls(config)
    click.echo(
        f"{cls.__name__} on http://{host}:{port} -> "
        + ", ".join(f"/{d.name}/ -> {', '.join(map(public_url, d.urls))}" for d in config.deployments),
        err=True,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            instance.app,
            host=host,
            port=port,
            loop="uvloop",
            http="httptools",
            lifespan="on",
            log_level=log_level,
            access_log=access_log,
            server_header=False,
            date_header=False,  # DateHeader keeps the container's Date on relayed answers
            timeout_graceful_shutdown=3,
            backlog=4096,
        )
    )
    server.run()
