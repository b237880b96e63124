"""What a container check holds: the container, the run's webhook sink, the verdict verbs.

The engine builds it through `container_context` (the container run's
`make_context`), so container checks run on the same engine, ledger and
transcript as gateway checks; their exchanges are labelled `container` and
`sink` in reports.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.checks import Check
from conformance.checks.client import GatewayClient
from conformance.checks.context import CheckContext, Signals
from conformance.checks.instrument import SinkClient
from conformance.http.recording import Recorder, Transcript, recording_client
from conformance.http.wire import WireTransport
from conformance.judge.container_config import ContainerConfig
from conformance.judge.verdicts import Ledger

__all__ = ["ContainerContext", "SinkClient", "container_context"]


@dataclass
class ContainerContext(CheckContext):
    """A gateway check's context with the container where the gateway was, and the sink instead of the mock."""

    sink: SinkClient | None = None

    @property
    def container(self) -> GatewayClient:
        return self.gateway

    @property
    def container_config(self) -> ContainerConfig:
        assert isinstance(self.config, ContainerConfig)
        return self.config


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
) -> ContainerContext:
    """The engine's `make_context` for a container run."""
    http = recording_client(target_wire, transcript, "container", timeout=config.request_timeout)
    container = GatewayClient(http, base=config.url, extra_headers=config.headers, timeout=config.request_timeout,
                              target="container")
    sink_http = recording_client(instrument_wire, transcript, "sink", timeout=config.t_done + config.request_timeout)
    return ContainerContext(
        name=check.name, config=config, run_id=run_id, recorder=recorder, transcript=transcript, ledger=ledger,  # type: ignore[arg-type]
        gateway=container, mock=None, other=None, signals=signals, timed=check.timed,  # type: ignore[arg-type]
        sink=SinkClient(sink_http, told=config.sink_url, local=config.sink_local_url),
    )
