"""What a conformance run is pointed at and the contract's timing parameters.

One frozen dataclass travels from the CLI (or the pytest options) to every
check, so a check reads `config.delay` and never a global.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["SuiteConfig", "DEFAULT_DELAY", "DEFAULT_T_ACCEPT", "DEFAULT_N", "DEFAULT_REQUEST_TIMEOUT", "parse_header",
           "DIRECT", "THROUGH_GATEWAY", "DEFAULT_LONG_POLL", "DEFAULT_READY_TIMEOUT"]

DEFAULT_DELAY = 2.0  # D
DEFAULT_T_ACCEPT = 1.0  # T_accept
DEFAULT_N = 32  # N
DEFAULT_REQUEST_TIMEOUT = 10.0
DEFAULT_PARALLEL = 32
#: how the suite reaches the mock container's control API: at its own URL, or through the gateway under test
#: (`{gateway}/_mock/...` with the run's headers: a hosted gateway gives no other path to its container)
DIRECT = "direct"
THROUGH_GATEWAY = "through-gateway"
#: through a gateway, the longest one long-poll of the mock may take: a gateway's synchronous path gives up
#: on a silent container after its own timeout (the reference gateway's --container-timeout; 4.5 s when
#: `conformance run` starts it), so a longer wait is made of several short ones
DEFAULT_LONG_POLL = 2.0
#: how long a run waits for a deployment to become ready (a scale-from-zero start pulls an image)
DEFAULT_READY_TIMEOUT = 600.0
#: round trips to the gateway one check may make one after another, for its budget: the property searches
#: run one at a time, and all of them together make about 700 sequential requests
SEQUENTIAL_ROUND_TRIPS = 1000
#: the most a slow round trip adds to a check's budget (s): the budget only stops a check that hangs
MAX_ROUND_TRIP_ROOM = 600.0
#: --explore searches longer: a property check (they search one at a time) may take this much more
#: than the usual check budget
EXPLORE_EXTRA_TIME = 900.0


def parse_header(text: str) -> tuple[str, str]:
    """`"Name: value"` -> ("Name", "value"); ValueError names what is wrong."""
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not name or any(c.isspace() for c in name):
        raise ValueError(f"header {text!r} is not of the form 'Name: value'")
    return name, value.strip()


@dataclass(frozen=True)
class SuiteConfig:
    #: inference base `{base}/{deployment}` of the gateway under test
    gateway: str
    #: base URL of the mock container the deployment is routed to
    container_url: str
    #: inference base of a second deployment routed to the same mock (GW-SEC-01)
    other_gateway: str | None = None
    #: extra headers sent on every gateway request (e.g. Authorization), to the gateway's own origins only
    headers: tuple[tuple[str, str], ...] = ()
    #: --allow-origin entries (HOST, HOST:PORT, SCHEME://HOST[:PORT]): other origins a StatusPath or ResultPath
    #: may lead to, followed without `headers` (conformance.http.origins)
    allow_origins: tuple[str, ...] = ()
    delay: float = DEFAULT_DELAY
    t_accept: float = DEFAULT_T_ACCEPT
    #: None means the contract's default, D + 5 s
    t_done_override: float | None = None
    n: int = DEFAULT_N
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    #: how many checks run at once
    parallel: int = DEFAULT_PARALLEL
    #: pause between two polls of a status route (it has no long-poll)
    poll_interval: float = 0.1
    #: how long to keep watching for a duplicate once the expected requests arrived
    settle: float = 0.5
    #: property and schema checks (conformance/generate): their hypothesis seed (None: 0, or random with
    #: `explore`), examples per property (None: the default budget), and --explore's longer search and database
    seed: int | None = None
    examples: int | None = None
    explore: bool = False
    hypothesis_db: str | None = None
    #: where the mock's journal and webhook sink stood when the run began (the pre-flight reads them), so a
    #: record evicted during the run is noticed; None: unknown, no gap is judged
    journal_since: int | None = None
    sink_since: int | None = None
    #: DIRECT: `container_url` is the mock itself; THROUGH_GATEWAY: `container_url` is the gateway's deployment
    #: and every control request carries `headers`
    mock_access: str = DIRECT
    #: the URL up to the key at which the mock reaches its own webhook sink (`GET /_mock/info`, read by the
    #: pre-flight); through the gateway, webhook URLs are built on it (the suite's machine is out of reach)
    mock_sink: str | None = None
    #: the mock instance the pre-flight met: an answer from another one (a replica, a restart) is not judged on
    mock_instance: str | None = None
    #: longest single long-poll of the mock (s); None: as long as the wait needs
    long_poll: float | None = None
    #: seconds one request to the gateway takes there and back (the pre-flight's median): a far-away gateway
    #: gives every check's budget room for its many sequential requests
    round_trip: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def through_gateway(self) -> bool:
        return self.mock_access == THROUGH_GATEWAY

    @property
    def mock_headers(self) -> tuple[tuple[str, str], ...]:
        """The headers of a control request: the run's own when it goes through the gateway."""
        return self.headers if self.through_gateway else ()

    @property
    def t_done(self) -> float:
        return self.t_done_override if self.t_done_override is not None else self.delay + 5.0

    @property
    def check_timeout(self) -> float:
        """The most one check may take before the engine gives up on it.

        The slowest checks wait up to T_done for completion, then read
        results and watch for duplicates; the margin covers those requests,
        and the round trip of each of a check's sequential requests.
        """
        return (self.t_done + self.delay + 3 * self.request_timeout + 10.0 + min(SEQUENTIAL_ROUND_TRIPS * self.round_trip, MAX_ROUND_TRIP_ROOM)
                + (EXPLORE_EXTRA_TIME if self.explore else 0.0))

    def parameters(self) -> dict[str, float | int | None]:
        return {
            "D": self.delay,
            "T_accept": self.t_accept,
            "T_done": self.t_done,
            "N": self.n,
            "request_timeout": self.request_timeout,
            "parallel": self.parallel,
            "seed": self.seed,
            "examples": self.examples,
            "explore": self.explore,
        }
