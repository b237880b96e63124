"""What every load process must agree on: one dataclass, carried by Locust.

The master (or the single local process) parses these from its command line;
Locust forwards custom arguments to every worker in its spawn message, so a
worker on another machine needs nothing but `--master-host`.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from conformance.judge.config import parse_header
from conformance.http.origins import OriginError, parse_allowed

__all__ = [
    "MODES",
    "DEFAULT_MIX",
    "Mix",
    "LoadSettings",
    "SettingsError",
    "parse_mix",
    "is_loopback_url",
    "add_arguments",
    "from_options",
    "HEADERS_ENV",
    "headers_from_env",
    "DEFAULT_LONG_POLL",
]

#: The four ways a submission can be made, by their short names in `--mix`.
MODES = ("async", "proxy", "container", "sync")
DEFAULT_MIX = "async=60,proxy=15,container=10,sync=15"
#: The run's headers (credentials) reach the Locust master here, one `Name: value` per line, not on its
#: command line, which every user of the machine can read (`ps`); the master hands them to its workers
#: with the run's other settings
HEADERS_ENV = "CONFORMANCE_LOAD_HEADERS"
#: through a gateway, the longest one long-poll of the mock may take (see conformance.judge.config)
DEFAULT_LONG_POLL = 2.0


class SettingsError(ValueError):
    """A load setting that cannot work; the message names it."""


@dataclass(frozen=True)
class Mix:
    """Relative weights of the four modes (Locust task weights)."""

    weights: dict[str, int]

    def __str__(self) -> str:
        return ",".join(f"{mode}={self.weights[mode]}" for mode in MODES)

    def active(self) -> list[str]:
        return [mode for mode in MODES if self.weights[mode] > 0]


def parse_mix(text: str) -> Mix:
    """`async=60,proxy=15,container=10,sync=15` -> Mix; modes left out weigh 0."""
    weights = dict.fromkeys(MODES, 0)
    seen: set[str] = set()
    for part in text.split(","):
        name, sep, value = part.strip().partition("=")
        name = name.strip().lower()
        if not sep:
            raise SettingsError(f"mix: {part.strip()!r} is not MODE=WEIGHT (modes: {', '.join(MODES)})")
        if name not in weights:
            raise SettingsError(f"mix: unknown mode {name!r} (modes: {', '.join(MODES)})")
        if name in seen:
            raise SettingsError(f"mix: mode {name!r} given twice")
        seen.add(name)
        try:
            weight = int(value.strip())
        except ValueError:
            raise SettingsError(f"mix: weight of {name!r} must be a whole number, not {value.strip()!r}") from None
        if weight < 0:
            raise SettingsError(f"mix: weight of {name!r} must be 0 or more, not {weight}")
        weights[name] = weight
    if not any(weights.values()):
        raise SettingsError("mix: at least one mode needs a weight above 0")
    return Mix(weights)


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(name: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{name}: {url!r} must be an http(s)://host[:port][/path] URL")
    return url.rstrip("/")


@dataclass(frozen=True)
class LoadSettings:
    run_id: str
    container_urls: tuple[str, ...]
    mix: Mix = field(default_factory=lambda: parse_mix(DEFAULT_MIX))
    #: Path under the inference base every submission goes to.
    path: str = "/infer"
    #: Processing time each container call is told to take (the contract's D).
    delay: float = 2.0
    t_accept: float = 1.0
    #: Accept -> Completed bound (the contract's T_done); None means D + 5 s.
    t_done: float | None = None
    #: Submissions one load process makes at most (the run is bounded in count too).
    max_submissions: int = 200_000
    #: Where the mock posts fire-and-forget webhooks, as the mock itself reaches
    #: its sink; None: each mock delivers to its own sink (the bare path
    #: `/_mock/webhooks/<run id>`), so with several mocks every delivery is
    #: recorded by the mock that got the request, wherever it runs.
    webhook_base: str | None = None
    #: The mocks are reached through the gateway (`container_urls` is then the
    #: deployment, every control request carrying `headers`): a hosted gateway.
    through_gateway: bool = False
    #: Longest one long-poll of a mock (s); None: as long as the wait needs.
    long_poll: float | None = None
    #: Seconds to wait after the last expected delivery for late duplicates.
    grace: float = 1.0
    #: Sent on every gateway request (e.g. `Authorization: Bearer KEY`, as the provider's client does),
    #: to the gateway's own origin only.
    headers: tuple[tuple[str, str], ...] = ()
    #: Other origins a StatusPath or ResultPath may lead to, followed without `headers` (conformance.http.origins).
    allow_origins: tuple[str, ...] = ()
    json_path: str | None = None
    strict: bool = False

    def __post_init__(self) -> None:
        if not self.container_urls:
            raise SettingsError("container-url: at least one mock container URL is needed to count deliveries")
        object.__setattr__(
            self, "container_urls", tuple(_check_url("container-url", u) for u in self.container_urls)
        )
        if not self.path.startswith("/"):
            raise SettingsError(f"path: {self.path!r} must start with '/'")
        for name in ("delay", "t_accept", "grace"):
            if not getattr(self, name) >= 0:
                raise SettingsError(f"{name}: must be 0 or more, not {getattr(self, name)!r}")
        if self.t_done is not None and not self.t_done > 0:
            raise SettingsError(f"t-done: must be above 0, not {self.t_done!r}")
        if self.max_submissions < 1:
            raise SettingsError(f"max-submissions: must be at least 1, not {self.max_submissions}")
        if not self.run_id or len(self.run_id) > 100 or not all(c.isalnum() or c in "-_." for c in self.run_id):
            raise SettingsError(f"run-id: {self.run_id!r} must be 1-100 letters, digits, '-', '_' or '.'")

    @property
    def mock_headers(self) -> tuple[tuple[str, str], ...]:
        """The headers of a request to a mock's control API: the run's own when it goes through the gateway."""
        return self.headers if self.through_gateway else ()

    @property
    def done_bound(self) -> float:
        return self.t_done if self.t_done is not None else self.delay + 5.0

    @property
    def webhook_url(self) -> str:
        """The sink URL (one key per run) that fire-and-forget work reports to."""
        sink = f"/_mock/webhooks/{self.run_id}"
        return sink if self.webhook_base is None else f"{self.webhook_base.rstrip('/')}{sink}"

    def query(self, mode: str) -> str:
        """The query string of a submission: behaviours ride in it because
        every mode forwards the query string (GW-SYNC-01, -ASYNC-07, -PROXY-03, -CONT-01)."""
        parts = [f"mock-correlation={self.run_id}", f"mock-delay={self.delay:g}"]
        if mode == "proxy":
            parts.append(f"mock-webhook-url={quote(self.webhook_url, safe='')}")
        elif mode == "container":
            parts.append("mock-async=task-id")
        return "&".join(parts)


def _header(text: str) -> tuple[str, str]:
    """`"Name: value"` -> ("Name", "value"), read by the suite's one header parser."""
    try:
        return parse_header(text)
    except ValueError as exc:
        raise SettingsError(f"header: {exc}") from None


def _allowed(text: str) -> str:
    try:
        return str(parse_allowed(text))
    except OriginError as exc:
        raise SettingsError(str(exc)) from None


def headers_from_env(environ: dict[str, str] | None = None) -> list[str]:
    """The `Name: value` lines of HEADERS_ENV (blank lines skipped)."""
    text = (os.environ if environ is None else environ).get(HEADERS_ENV, "")
    return [line.strip() for line in text.splitlines() if line.strip()]


# -- Locust command line -------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Our options on Locust's parser (they reach workers with the spawn message)."""
    group = parser.add_argument_group("conformance", "async gateway load conformance")
    group.add_argument("--conformance-run-id", default="", help="correlation id of this run (default: a new uuid)")
    group.add_argument(
        "--conformance-container-url",
        default="",
        help="mock container URL(s) whose journals count deliveries; several separated by spaces",
    )
    group.add_argument("--conformance-mix", default=DEFAULT_MIX, help=f"mode weights (default {DEFAULT_MIX})")
    group.add_argument("--conformance-path", default="/infer", help="path under the inference base")
    group.add_argument("--conformance-delay", type=float, default=2.0, help="container processing time D (s)")
    group.add_argument("--conformance-t-accept", type=float, default=1.0, help="T_accept (s)")
    group.add_argument("--conformance-t-done", type=float, default=0.0, help="T_done (s); 0 means D + 5")
    group.add_argument("--conformance-max-submissions", type=int, default=200_000, help="per load process")
    group.add_argument("--conformance-webhook-base", default="", help="mock URL as the mock itself reaches it")
    group.add_argument("--conformance-grace", type=float, default=1.0, help="wait for late duplicates (s)")
    group.add_argument("--conformance-header", action="append", default=[], metavar="'NAME: VALUE'",
                       help=f"header sent on every gateway request (repeatable); credentials are better given in "
                       f"the environment, {HEADERS_ENV}, one per line: a command line is visible to every user")
    group.add_argument("--conformance-allow-origin", action="append", default=[], metavar="HOST",
                       help="another origin a StatusPath or ResultPath may lead to, followed without the headers "
                       "(repeatable)")
    group.add_argument("--conformance-through-gateway", action="store_true", default=False,
                       help="the mock is reached through the gateway (--host, with the headers): a hosted gateway; "
                       "--conformance-container-url is then set from --host")
    group.add_argument("--conformance-long-poll", type=float, default=0.0,
                       help=f"longest one long-poll of a mock (s); 0: unbounded, {DEFAULT_LONG_POLL:g} through "
                       "the gateway")
    group.add_argument("--conformance-json", default="", help="write the load verdicts here")
    group.add_argument("--conformance-strict", action="store_true", default=False, help="SHOULD failures fail")
    group.add_argument("--conformance-allow-remote", action="store_true", default=False,
                       help="allow non-loopback gateway and mock URLs")
    group.add_argument("--conformance-target-mode", default="url", help=argparse.SUPPRESS)


def from_options(options: argparse.Namespace) -> LoadSettings:
    """LoadSettings from Locust's parsed options; a missing run id gets a fresh one."""
    if not options.conformance_run_id:
        options.conformance_run_id = f"load-{uuid.uuid4().hex[:16]}"
    through = bool(getattr(options, "conformance_through_gateway", False))
    if through and not options.conformance_container_url:
        # the mock is reached at the gateway's deployment; written back, so the master hands it to its workers
        host = getattr(options, "host", None) or ""
        if not host:
            raise SettingsError("through-gateway: needs --host {base}/{deployment}, through which the mock is reached")
        options.conformance_container_url = host
    long_poll = getattr(options, "conformance_long_poll", 0.0) or (DEFAULT_LONG_POLL if through else 0.0)
    if long_poll < 0:
        raise SettingsError(f"long-poll: must be 0 or more, not {long_poll!r}")
    return LoadSettings(
        run_id=options.conformance_run_id,
        container_urls=tuple(options.conformance_container_url.split()),
        through_gateway=through,
        long_poll=long_poll or None,
        mix=parse_mix(options.conformance_mix),
        path=options.conformance_path,
        delay=options.conformance_delay,
        t_accept=options.conformance_t_accept,
        t_done=options.conformance_t_done or None,
        max_submissions=options.conformance_max_submissions,
        webhook_base=options.conformance_webhook_base or None,
        grace=options.conformance_grace,
        headers=tuple(_header(text) for text in options.conformance_header or ()),
        allow_origins=tuple(_allowed(text) for text in getattr(options, "conformance_allow_origin", None) or ()),
        json_path=options.conformance_json or None,
        strict=bool(options.conformance_strict),
    )
