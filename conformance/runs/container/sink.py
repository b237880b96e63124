"""The webhook sink of a container run: the mock container's own app, served on a thread of this process.

A fire-and-forget container proves it did its work by calling a webhook
(CT-ASYNC-01). The sink that records the calls is the one the mock
container already has (`ANY /_mock/webhooks/{key}`, read back with
`GET /_mock/webhooks/wait`, every delivery in the mock's JSON shape), so a
container run and a gateway run share one sink, one client
(`mock_container.client.AsyncMockClient`) and the mock's bounds: bodies
over `--max-body` get 413, the ring keeps at most `--journal-size`
deliveries and `--journal-bytes` of bodies. That matters when the sink
listens beyond loopback (`--sink-host 0.0.0.0` for a container in Docker).

It is served from a socket bound before the serving thread starts, so a
port already taken is a clear error at once, and connections queue from
the first moment: no readiness wait, and a container started right after
may call it immediately. A request outside `/_mock/webhooks/` (a container
configured with the wrong path) lands in the mock's journal, where the
check that missed the call can point at it.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import uvicorn

from mock_container.app import MockApp
from mock_container.server import uvicorn_config
from mock_container.settings import Settings

__all__ = ["MockSink", "SinkStartError"]

#: how long a stop waits for the serving thread (uvicorn's graceful shutdown is 2 s)
STOP_TIMEOUT = 5.0


class SinkStartError(OSError):
    """The sink cannot listen where it was asked to (the message names host and port)."""


class MockSink:
    """The mock container's app on `host:port` (0: a free port), served from a background thread; a context manager."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self._requested_port = port
        self._socket = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._socket.getsockname()[1]

    @property
    def url(self) -> str:
        """Where this process reaches the sink: loopback when it listens on every interface."""
        host = self.host
        if host in ("0.0.0.0", ""):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def start(self) -> "MockSink":
        """Bind and listen now (connections queue until the thread serves them), then serve."""
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._socket.bind((self.host, self._requested_port))
        except OSError as exc:
            self._socket.close()
            raise SinkStartError(f"the webhook sink cannot listen on {self.host}:{self._requested_port}: "
                                 f"{exc.strerror or exc}") from None
        self._socket.listen(128)
        app = MockApp(Settings(host=self.host, port=self.port, log_level="warning"))
        self._server = uvicorn.Server(uvicorn_config(app, self.host, self.port))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name="conformance-webhook-sink", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> "MockSink":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
