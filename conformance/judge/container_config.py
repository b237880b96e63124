"""What a container run is pointed at, what the author declared, and the timing parameters.

How the container learns where to call its webhook (`webhook_mode`): in
each request (`--webhook-field` / `--webhook-header`: the suite gives every
submission a URL of its own), or once, when it starts (a fire-and-forget
container with neither: the URL is fixed at deploy time, as in the
provider's tutorial, and calls are matched to accepted requests by order).

The container-side counterpart of `SuiteConfig`: one frozen dataclass from
the command to every check. The engine reads the same timing attributes
from it (`t_accept`, `t_done`, `request_timeout`, `check_timeout`,
`parallel`, `headers`) as from a gateway run's config.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from conformance.judge.config import DEFAULT_DELAY, DEFAULT_T_ACCEPT

__all__ = [
    "ContainerConfig",
    "ContainerUsageError",
    "Readiness",
    "STYLES",
    "DEFAULT_BODY",
    "parse_supports",
]

#: the async styles a container may declare, as `--supports` spells them
STYLES = ("fire-and-forget", "task-id")
DEFAULT_BODY = b'{"prompt": "Hello from the conformance suite"}'
DEFAULT_READY_TIMEOUT = 30.0
#: a real model answers slower than a gateway: the default per-request timeout is larger
DEFAULT_CONTAINER_REQUEST_TIMEOUT = 30.0
#: how many respond-async requests CT-ASYNC-02 compares ids across
ID_REQUESTS = 3
#: after a submission's webhook call arrived, how long the suite waits for a second one
DUPLICATE_WINDOW = 0.5
#: `webhook_mode` values: where the container learns its webhook URL
WEBHOOK_MODES = ("request", "deploy-time", "none")


class ContainerUsageError(ValueError):
    """The container run cannot start as asked; the message names the flag."""


def parse_supports(values: list[str] | tuple[str, ...]) -> frozenset[str]:
    """`["fire-and-forget,task-id"]` (comma-separated, repeatable) -> the declared styles."""
    styles = {part.strip().lower() for value in values for part in value.split(",") if part.strip()}
    unknown = sorted(styles - set(STYLES) - {"none"})
    if unknown:
        raise ContainerUsageError(f"--supports {','.join(unknown)}: expected a comma-separated list of {', '.join(STYLES)}")
    return frozenset(styles - {"none"})


@dataclass(frozen=True)
class Readiness:
    """How waiting for the health route went (before any check ran)."""

    ready: bool
    waited: float  # seconds from the first probe to the 200 (or to giving up)
    probes: int
    trail: str  # what it answered, repeats collapsed: "503 ×12 -> 200"
    last: str  # the last answer, described
    timeout: float


@dataclass(frozen=True)
class ContainerConfig:
    #: base URL of the container, e.g. http://127.0.0.1:8000
    url: str
    #: where the suite's webhook sink is reached by the container (told to it)...
    sink_url: str = ""
    #: ...and by the suite (the same unless the container runs elsewhere, e.g. in Docker)
    sink_local_url: str = ""
    path: str = "/generate"
    health_path: str = "/health"
    supports: frozenset[str] = frozenset()
    body: bytes = DEFAULT_BODY
    content_type: str = "application/json"
    #: the JSON body field (in a copy of the sample body) that carries the webhook URL
    webhook_field: str | None = None
    #: the request header that carries the webhook URL
    webhook_header: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    t_accept: float = DEFAULT_T_ACCEPT
    #: None means the contract's default, D + 5 s with the default D
    t_done_override: float | None = None
    ready_timeout: float = DEFAULT_READY_TIMEOUT
    request_timeout: float = DEFAULT_CONTAINER_REQUEST_TIMEOUT
    id_requests: int = ID_REQUESTS
    readiness: Readiness | None = None
    #: the inference base `{gateway}/{deployment}` of the embedded reference gateway (--through-gateway)
    gateway_url: str | None = None
    duplicate_window: float = DUPLICATE_WINDOW
    #: pause between two status reads of a respond-async request through the gateway (no long-poll there)
    poll_interval: float = 0.1
    #: container checks run one at a time (see container_side.py); kept for the engine
    parallel: int = 1
    seed: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if not self.path.startswith("/"):
            raise ContainerUsageError(f"--path {self.path!r}: must start with /")
        if not self.health_path.startswith("/"):
            raise ContainerUsageError(f"--health-path {self.health_path!r}: must start with /")
        if self.webhook_field is not None and not isinstance(self.sample_json(), dict):
            raise ContainerUsageError(
                f"--webhook-field {self.webhook_field}: the sample body (--body) must be a JSON object to carry it")

    @property
    def webhook_mode(self) -> str:
        """"request" (a URL per request, in a body field or a header), "deploy-time" (a fire-and-forget
        container given one URL when it starts) or "none" (no webhook to watch)."""
        if self.webhook_field or self.webhook_header:
            return "request"
        return "deploy-time" if "fire-and-forget" in self.supports else "none"

    @property
    def t_done(self) -> float:
        return self.t_done_override if self.t_done_override is not None else DEFAULT_DELAY + 5.0

    @property
    def check_timeout(self) -> float:
        """The most one check may take: the slowest (CT-MODES-01) waits T_done three times (a stored
        result, earlier calls to a deploy-time webhook, its own call) and sends seven requests."""
        return 3 * self.t_done + (self.id_requests + 4) * self.request_timeout + 10.0

    def parameters(self) -> dict[str, float | int | None]:
        return {
            "T_accept": self.t_accept,
            "T_done": self.t_done,
            "request_timeout": self.request_timeout,
            "ready_timeout": self.ready_timeout,
            "parallel": self.parallel,
            "seed": self.seed,
        }

    def sample_json(self) -> object:
        """The sample body parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def with_webhook(self, url: str) -> tuple[bytes, list[tuple[str, str]]]:
        """The sample request telling the container to call `url`: its body and extra headers."""
        body = self.body
        if self.webhook_field is not None:
            document = dict(self.sample_json())  # type: ignore[arg-type]  # checked in validate()
            document[self.webhook_field] = url
            body = json.dumps(document).encode()
        headers = [(self.webhook_header, url)] if self.webhook_header else []
        return body, headers
