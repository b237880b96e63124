"""What a container check holds: the container, the run's webhook sink, the verdict verbs.

The engine builds it through `container_context` (the container run's
`make_context`), so container checks run on the same engine, ledger and
transcript as gateway checks; their exchanges are labelled `container` and
`sink` in reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from conformance.checks import Check
from conformance.checks.context import CheckContext, Signals
from conformance.judge.container_config import ContainerConfig
from conformance.http.session import GatewayClient, Recorder, Transcript, instrument_get
from conformance.judge.verdicts import Ledger

__all__ = ["ContainerContext", "SinkClient", "container_context"]


class SinkClient:
    """The run's webhook sink (sink.py), recorded into one check's transcript."""

    def __init__(self, client: httpx.AsyncClient, transcript: Transcript, *, told: str, local: str) -> None:
        self._client = client
        self._transcript = transcript
        self.told = told.rstrip("/")
        self.local = local.rstrip("/")

    def url(self, key: str) -> str:
        """The webhook URL to give the container: deliveries to it are recorded under `key`."""
        return f"{self.told}/hooks/{quote(key, safe='')}"

    async def wait(self, key: str, count: int, timeout: float) -> list[dict[str, Any]]:
        """Deliveries under `key` once there are `count`, or all there are after `timeout` s."""
        response, _ = await instrument_get(
            self._client, self._transcript, "sink", "the suite's webhook sink", f"{self.local}/wait/{quote(key, safe='')}",
            {"count": count, "timeout": round(max(timeout, 0.0), 3)}, timeout,
            f"wait for {count} webhook deliver{'y' if count == 1 else 'ies'} under {key}")
        return list(response.json().get("deliveries", []))


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
    gateway_http: httpx.AsyncClient,
    mock_http: httpx.AsyncClient,
    signals: Signals,
) -> ContainerContext:
    """The engine's `make_context` for a container run."""
    container = GatewayClient(gateway_http, transcript, base=config.url, extra_headers=config.headers,
                              timeout=config.request_timeout, target="container")
    return ContainerContext(
        name=check.name, config=config, run_id=run_id, recorder=recorder, transcript=transcript, ledger=ledger,  # type: ignore[arg-type]
        gateway=container, mock=None, other=None, signals=signals, timed=check.timed,  # type: ignore[arg-type]
        sink=SinkClient(mock_http, transcript, told=config.sink_url, local=config.sink_local_url),
    )
