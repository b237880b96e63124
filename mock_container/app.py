"""The ASGI application: the control API and /health go to a small Starlette
app, everything else to the inference side."""

from __future__ import annotations

from .control import build_control_app
from .inference import InferenceSide
from .settings import Settings
from .state import MockState

__all__ = ["MockApp", "create_app", "CONTROL_PREFIX"]

CONTROL_PREFIX = "/_mock/"


class MockApp:
    def __init__(self, settings: Settings) -> None:
        self.state = MockState(settings)
        self.control = build_control_app(self.state)
        self.inference = InferenceSide(self.state, self.state.inflight)

    async def __call__(self, scope, receive, send) -> None:
        kind = scope["type"]
        if kind == "http":
            path = scope["path"]
            if path.startswith(CONTROL_PREFIX) or path == "/health" or path == "/_mock":
                await self.control(scope, receive, send)
            else:
                await self.inference(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        # websocket: not served (the server runs with ws="none")

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.state.webhooks.start()
                self.state.restart_clock()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.state.background.cancel_all()
                await self.state.webhooks.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def create_app(settings: Settings | None = None) -> MockApp:
    return MockApp(settings or Settings())
