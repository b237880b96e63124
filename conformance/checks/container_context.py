"""What a container check holds: the container, the run's webhook sink, the gateway in front (if any).

The engine builds it through `container_context` (the container run's
`make_context`), so container checks run on the same engine, ledger and
transcript as gateway checks; their exchanges are labelled `container`,
`sink` and (with --through-gateway) `gateway` in reports.

The sink is the mock container's (conformance/runs/container/sink.py),
read with the mock's own client. How a webhook call is matched to the
request that caused it depends on how the container learns the URL:

- per request (`--webhook-field`, `--webhook-header`): every submission
  gets a URL with a key of its own, `{sink}/_mock/webhooks/{key}`;
- at deploy time (neither): the container calls one URL fixed when it
  started, `{sink}/_mock/webhooks/container`. Calls then carry nothing to
  tell them apart, so they are matched by order: the n-th call belongs to
  the n-th request the container accepted for later work (`Accepted`).
  The checks send one request at a time, so the order is the container's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field

from conformance.checks import Check
from conformance.checks.client import GatewayClient
from conformance.checks.context import CheckContext, Signals
from conformance.checks.instrument import InstrumentError, annotate_mock_entries
from conformance.http.recording import Recorder, Transcript, recording_client
from conformance.http.wire import WireTransport
from conformance.judge.container_config import ContainerConfig
from conformance.judge.verdicts import Ledger
from mock_container.client import AsyncMockClient, Delivery, JournalEntry, MockError, Page, sink_url

__all__ = ["ContainerContext", "ContainerSink", "Accepted", "container_context", "fixed_webhook_url",
           "FIXED_KEY", "SINK_PREFIX"]

#: where the mock container's sink records calls, below its base URL
SINK_PREFIX = "/_mock/webhooks/"
#: the key of the deploy-time webhook URL the console and `{sink_url}` give the container
FIXED_KEY = "container"


def fixed_webhook_url(sink_base: str) -> str:
    """The webhook URL a container with a deploy-time target is configured with."""
    return sink_url(sink_base.rstrip("/") + SINK_PREFIX, FIXED_KEY)


@dataclass
class Accepted:
    """The requests the container accepted for later work, in the order they were sent.

    Accepted means: answered 2xx to `Prefer: respond-async`, or 202 to
    anything (a route that always works in the background, like the
    tutorial's `/generate_webhook`). With a deploy-time webhook target, the
    n-th call to it is matched to the n-th of these. One book per run: the
    checks add to it one after another.
    """

    labels: list[str] = field(default_factory=list)
    #: calls found beyond the accepted requests (a second call for one, or a call for none): already
    #: reported, and skipped by the matching from then on, so later calls pair with their own requests
    surplus: int = 0

    def add(self, label: str) -> int:
        """Count one more accepted request; the number of the call matched to it (1-based, surplus skipped)."""
        self.labels.append(label)
        return len(self.labels) + self.surplus

    @property
    def calls_expected(self) -> int:
        """How many calls the accepted requests (and the surplus seen) account for."""
        return len(self.labels) + self.surplus

    def __len__(self) -> int:
        return len(self.labels)


class ContainerSink:
    """The run's webhook sink as checks use it: the URL the container is told, the calls it got.

    A read that fails raises InstrumentError (the suite could not observe:
    never the container's fault, never a pass).
    """

    def __init__(self, client: AsyncMockClient, *, told: str) -> None:
        self._client = client
        self.told = told.rstrip("/")

    def url(self, key: str) -> str:
        """The webhook URL of one submission (per-request targets): calls to it are recorded under `key`."""
        return sink_url(self.told + SINK_PREFIX, key)

    @property
    def fixed_url(self) -> str:
        return fixed_webhook_url(self.told)

    async def _read(self, page: Awaitable[Page]) -> Page:
        try:
            result = await page
        except MockError as exc:
            raise InstrumentError(f"the suite's webhook sink: {exc}") from None
        if result.partial:
            raise InstrumentError(f"the suite's webhook sink dropped {result.evicted_since} of the calls it got "
                                  "(more than it keeps): the calls can no longer be matched to requests")
        return result

    async def calls(self, key: str | None, count: int, timeout: float) -> list[Delivery]:
        """The calls under `key` (None: every call, for a deploy-time target), oldest first, once there
        are `count` of them or `timeout` s passed (at once when `count` is 0)."""
        if count <= 0:
            return await self.calls_so_far(key)
        page = await self._read(self._client.wait_webhooks(key, count, max(timeout, 0.0), since=0))
        return list(page.records)

    async def calls_so_far(self, key: str | None = None) -> list[Delivery]:
        """Every call under `key` (None: every call) recorded until now, without waiting."""
        page = await self._read(self._client.webhooks_all(key, since=0))
        return list(page.records)

    async def stray_requests(self) -> list[JournalEntry]:
        """Requests that reached the sink outside its webhook routes (e.g. a container told the wrong path)."""
        page = await self._read(self._client.journal_all(since=0))
        return list(page.records)


@dataclass
class ContainerContext(CheckContext):
    """A gateway check's context with the container where the gateway was, and the sink instead of the mock."""

    sink: ContainerSink | None = None
    accepted: Accepted = field(default_factory=Accepted)
    #: the embedded reference gateway's deployment of the container (--through-gateway)
    through: GatewayClient | None = None

    @property
    def container(self) -> GatewayClient:
        return self.gateway

    @property
    def container_config(self) -> ContainerConfig:
        assert isinstance(self.config, ContainerConfig)
        return self.config

    @contextlib.contextmanager
    def case(self, label: str) -> Iterator[None]:
        """Label the exchanges of this block (as `judge` does) without judging anything: for INFO checks."""
        token = self.ledger.enter_case(label)
        try:
            yield
        finally:
            self.ledger.leave_case(token)


def container_context(
    check: Check,
    *,
    config: ContainerConfig,
    run_id: str,
    recorder: Recorder,
    transcript: Transcript,
    ledger: Ledger,
    target_wire: WireTransport,
    instrument_wire: WireTransport,
    signals: Signals,
    accepted: Accepted | None = None,
) -> ContainerContext:
    """The engine's `make_context` for a container run; `accepted` is the run's one book (bound by the run)."""
    http = recording_client(target_wire, transcript, "container", timeout=config.request_timeout)
    container = GatewayClient(http, base=config.url, extra_headers=config.headers, timeout=config.request_timeout,
                              target="container")
    through = None
    if config.gateway_url:
        gateway_http = recording_client(target_wire, transcript, "gateway", timeout=config.request_timeout)
        through = GatewayClient(gateway_http, base=config.gateway_url, extra_headers=config.headers,
                                timeout=config.request_timeout, target="gateway")
    sink_http = recording_client(instrument_wire, transcript, "sink", timeout=config.t_done + config.request_timeout,
                                 annotate=annotate_mock_entries)
    return ContainerContext(
        name=check.name, config=config, run_id=run_id, recorder=recorder, transcript=transcript, ledger=ledger,  # type: ignore[arg-type]
        gateway=container, mock=None, other=None, signals=signals, timed=check.timed,  # type: ignore[arg-type]
        sink=ContainerSink(AsyncMockClient(sink_http, config.sink_local_url), told=config.sink_url),
        accepted=accepted if accepted is not None else Accepted(), through=through,
    )
