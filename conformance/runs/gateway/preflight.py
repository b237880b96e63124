"""Before any check: is the target there, and is its deployment routed to the mock container?

Each question has its own clear answer (exit code 2), because a suite that
runs forty checks against a wrong URL only produces forty confusing failures.
The answer also says where the mock's journal and webhook sink stood when
the run began, so a record evicted during the run is noticed, never passed.

Through the gateway (a hosted deployment, no `--container-url`), the mock is
reached at `{gateway}/health` and `{gateway}/_mock/...` with the run's
headers, and two more questions come first: is the deployment ready yet (a
deployment scaled to zero takes minutes to start: the pre-flight waits, up
to `ready_timeout`, and says how long), and does exactly one mock answer
behind it (replicas each keep their own journal: the run stops with exit 2
rather than judge on part of it).
"""

from __future__ import annotations

import secrets
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import httpx

from conformance.checks.instrument import replica_message
from conformance.judge.config import DEFAULT_READY_TIMEOUT, SuiteConfig
from mock_container.client import API_VERSION, MockClient, MockError, MockInfo

__all__ = ["TargetError", "preflight", "Positions", "wait_ready", "one_instance", "REPLICA_PROBES"]

#: how long a request through the gateway may take to show up in the mock's journal
ROUTING_WAIT = 3.0
#: `after` beyond any sequence number: a page with no records, only the position
BEYOND = 2**62
#: `GET /_mock/info` asked this many times through a gateway: every answer must name one instance (a
#: round-robin balancer shows a second replica on the second ask; a random one, 2 replicas, misses it with
#: probability 2^-(n-1), and then the run's own answers still catch it)
REPLICA_PROBES = 8
#: answers that mean "not ready yet" while a deployment starts (its gateway holding, throttling or failing
#: the request until a container is up); any other answer is final
NOT_YET = frozenset({408, 425, 429}) | frozenset(range(500, 600))
#: pauses between two readiness probes grow from the first to the last (the health route has no long-poll)
PROBE_PAUSES = (0.25, 0.5, 1.0, 2.0, 5.0)
#: a progress line at least this often while waiting
PROGRESS_EVERY = 15.0

Progress = Callable[[str], None]


class TargetError(Exception):
    """The target cannot be tested as given; the message says why and what to do."""


@dataclass(frozen=True)
class Positions:
    """Where the mock stood when the run began, and which mock it is."""

    journal: int
    sink: int
    instance: str | None = None
    #: where the mock reaches its own webhook sink, up to the key (`GET /_mock/info`)
    sink_url: str | None = None
    #: seconds waited for the deployment to become ready; None when the pre-flight did not wait
    ready_wait: float | None = None
    #: median seconds of a request to the gateway and back
    round_trip: float = 0.0

    def apply(self, config: SuiteConfig) -> SuiteConfig:
        """The run's configuration with what the pre-flight learnt."""
        return replace(config, journal_since=self.journal, sink_since=self.sink, mock_instance=self.instance,
                       mock_sink=self.sink_url, round_trip=self.round_trip)


def _hint(status: int) -> str:
    if status in (401, 403):
        return f" The gateway answered {status}: pass credentials with -H 'Authorization: Bearer ...' (CONFORMANCE_HEADER)."
    if status == 404:
        return " The gateway answered 404: check the deployment name in the inference base URL ({base}/{deployment})."
    return ""


def _mock_client(client: httpx.Client, config: SuiteConfig) -> MockClient:
    return MockClient(client, config.container_url, dict(config.mock_headers))


def _where(config: SuiteConfig) -> str:
    if config.through_gateway:
        return f"the mock container behind {config.container_url} (reached through the gateway)"
    return f"the mock container at {config.container_url}"


def _cannot_use(config: SuiteConfig, exc: MockError) -> TargetError:
    """A control request that failed, as the run's error: what answered, and what to do."""
    if config.through_gateway:
        hint = (_hint(exc.status) if exc.status is not None else "") or (
            " Is the deployment running the mock container image of this kit (docs/hosted.md), and does the "
            "gateway forward every path under the deployment to it?")
        return TargetError(f"{_where(config)} cannot be used ({exc}).{hint}")
    state = "does not answer" if exc.status is None else "cannot be used"
    return TargetError(f"the mock container at {config.container_url} {state} ({exc}); start it with "
                       "`mock-container --port PORT` and pass its URL with --container-url")


def _probe_label(exc: MockError | None, ready: bool | None) -> str:
    if exc is None:
        return "200 ok" if ready else "503 starting (the mock's own health)"
    if exc.status is None:
        cause = exc.__cause__
        return type(cause).__name__ if cause is not None else "no answer"
    return f"{exc.status}"


def wait_ready(config: SuiteConfig, ready_timeout: float = DEFAULT_READY_TIMEOUT,
               on_progress: Progress | None = None) -> float:
    """Ask `GET {deployment}/health` until the mock answers 200; returns the seconds waited.

    Waits through what a starting deployment answers (5xx, 408, 425, 429,
    a timeout, a dropped connection, the mock's own 503 while it starts).
    Stops at once (TargetError) on what waiting cannot change: a refused
    connection (nothing listens at the gateway's address), 401/403 (the
    key), 404 (the deployment's name), any other answer that is not the
    mock's. `on_progress` gets a line when the answer changes and every
    PROGRESS_EVERY seconds. Each probe may take up to the run's request
    timeout (a cold start may hold a request that long).
    """
    started = time.monotonic()
    deadline = started + ready_timeout
    url = f"{config.container_url.rstrip('/')}/health"
    pauses = iter(PROBE_PAUSES)
    pause = next(pauses)
    last_label, last_report = None, started
    with httpx.Client(timeout=config.request_timeout, trust_env=False) as client:
        mock = _mock_client(client, config)
        while True:
            exc: MockError | None = None
            ready = False
            try:
                ready = mock.health().ready
            except MockError as error:
                exc = error
            if ready:
                waited = time.monotonic() - started
                if on_progress is not None and last_label is not None:
                    on_progress(f"the deployment is ready: GET {url} answered 200 after {waited:.1f} s")
                return waited
            if exc is not None and not _waitable(exc):
                if exc.status is None:
                    raise TargetError(f"the gateway at {config.gateway} (--gateway) does not answer ({exc})") from None
                raise _cannot_use(config, exc)
            label = _probe_label(exc, ready)
            now = time.monotonic()
            if now + pause >= deadline:
                raise TargetError(
                    f"the deployment at {config.gateway} did not become ready within {ready_timeout:g} s "
                    f"(--ready-timeout): GET {url} last answered {label}"
                    + (f" ({exc})" if exc is not None else "")
                    + "; a deployment scaled to zero may take longer to start: raise --ready-timeout")
            if on_progress is not None and (label != last_label or now - last_report >= PROGRESS_EVERY):
                on_progress(f"waiting for the deployment to become ready: GET {url} answered {label} "
                            f"({now - started:.0f} s of at most {ready_timeout:g} s, --ready-timeout)")
                last_label, last_report = label, now
            time.sleep(pause)  # the health route has no long-poll: a bounded, growing pause is all there is
            pause = next(pauses, PROBE_PAUSES[-1])


def _waitable(exc: MockError) -> bool:
    """Can waiting change this answer? (a deployment that is still starting)"""
    if exc.status is None:
        # nothing listening at all is final; a held or dropped request is what a cold start does
        return not isinstance(exc.__cause__, httpx.ConnectError)
    return exc.status in NOT_YET


def _info(mock: MockClient, config: SuiteConfig) -> MockInfo:
    try:
        info = mock.info(check_api=False)
    except MockError as exc:
        raise _cannot_use(config, exc) from None
    if info.api != API_VERSION:
        raise TargetError(f"{_where(config)} speaks control API {info.api} (mock version {info.version}); this kit "
                          f"speaks control API {API_VERSION}: deploy the mock container of this kit's version "
                          f"(docs/hosted.md)")
    return info


def one_instance(mock: MockClient, config: SuiteConfig, first: MockInfo, probes: int = REPLICA_PROBES) -> float:
    """TargetError unless every one of `probes` asks names the same mock instance; returns the median
    seconds one ask took (through the gateway: the round trip to it)."""
    instances = {first.instance}
    took = []
    for _ in range(probes - 1):
        started = time.perf_counter()
        instances.add(_info(mock, config).instance)
        took.append(time.perf_counter() - started)
    if len(instances) > 1:
        raise TargetError(replica_message(len(instances), config.through_gateway, config.container_url))
    return statistics.median(took) if took else 0.0


def _positions(mock: MockClient, config: SuiteConfig, info: MockInfo) -> tuple[int, int]:
    try:
        journal = mock.journal(after=BEYOND, limit=1)
        sink = mock.webhooks(after=BEYOND, limit=1)
    except MockError as exc:
        raise _cannot_use(config, exc) from None
    instances = {info.instance, journal.instance, sink.instance}
    if len(instances) > 1:
        raise TargetError(replica_message(len(instances), config.through_gateway, config.container_url))
    return journal.last_seq, sink.last_seq


def _check_routed(client: httpx.Client, mock: MockClient, config: SuiteConfig, base: str, flag: str) -> float:
    """TargetError unless a request through `base` reaches the mock; returns the seconds it took."""
    correlation = f"cf-preflight-{secrets.token_hex(6)}"
    url = f"{base.rstrip('/')}/conformance-preflight?mock-correlation={correlation}"
    try:
        started = time.perf_counter()
        response = client.get(url, headers=[("X-Mock-Correlation", correlation), *config.headers])
        took = time.perf_counter() - started
    except httpx.HTTPError as exc:
        raise TargetError(f"the gateway at {base} ({flag}) does not answer ({type(exc).__name__}: {exc})") from None
    try:
        entries = mock.wait_journal(correlation, 1, ROUTING_WAIT).records
    except MockError as exc:
        raise TargetError(f"{_where(config)} stopped answering ({exc})") from None
    if not entries:
        raise TargetError(
            f"the deployment at {base} ({flag}) is not routed to {_where(config)}: "
            f"a request sent through the gateway (GET {url}, answered {response.status_code}) never reached it "
            f"within {ROUTING_WAIT:g} s.{_hint(response.status_code)}"
        )
    return took


def _other_deployment(client: httpx.Client, config: SuiteConfig, ready_timeout: float,
                      on_progress: Progress | None) -> None:
    """Through the gateway: --other-gateway runs a mock of its own (a hosted platform gives each deployment
    its container) or shares the first's; either way it is reached through that deployment, ready, one
    instance, routed. (GW-SEC-01 reads no journal of it: only its status and result routes.)"""
    assert config.other_gateway is not None
    other = replace(config, gateway=config.other_gateway, container_url=config.other_gateway)
    wait_ready(other, ready_timeout, on_progress)
    mock = _mock_client(client, other)
    one_instance(mock, other, _info(mock, other))
    _check_routed(client, mock, other, other.gateway, "--other-gateway")


def preflight(config: SuiteConfig, timeout: float = 5.0, *, ready_timeout: float = DEFAULT_READY_TIMEOUT,
              on_progress: Progress | None = None) -> Positions:
    """Raise TargetError unless the mock answers and every configured deployment reaches it.

    Through the gateway, first waits (up to `ready_timeout`) for the
    deployment to become ready, then makes sure exactly one mock answers.
    """
    # trust_env=False: the run's headers (credentials) never leave through a proxy from the environment
    with httpx.Client(timeout=timeout, trust_env=False) as client:
        mock = _mock_client(client, config)
        waited = None
        if config.through_gateway:
            waited = wait_ready(config, ready_timeout, on_progress)
        else:
            try:
                health = mock.health()
            except MockError as exc:
                raise _cannot_use(config, exc) from None
            if not health.ready:
                raise TargetError(f"the mock container at {config.container_url} is not ready: GET /health answered "
                                  f"503 (ready in {health.ready_in} s)")
        info = _info(mock, config)
        round_trip = one_instance(mock, config, info) if config.through_gateway else None
        journal, sink = _positions(mock, config, info)
        _check_routed(client, mock, config, config.gateway, "--gateway")
        if config.other_gateway and config.through_gateway:
            _other_deployment(client, config, ready_timeout, on_progress)
        elif config.other_gateway:
            _check_routed(client, mock, config, config.other_gateway, "--other-gateway")
    # through the gateway, the median of the instance probes; a mock reached directly is on the suite's own
    # network, and one routing request is too few samples to stretch budgets on
    return Positions(journal, sink, info.instance, info.sink, None if waited is None else round(waited, 3),
                     round(round_trip or 0.0, 4))
