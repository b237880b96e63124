"""The ASGI application: the control API and /health go to a small Starlette
app, everything else to the inference side."""

from __future__ import annotations

from .control import build_control_app
from .inference import InferenceSide
from .memory import Budget
from .settings import Settings
from .state import MockState

__all__ = ["MockApp", "create_app", "CONTROL_PREFIX"]

CONTROL_PREFIX = "/_mock/"


def _cap_stores(state: MockState) -> Budget:
    """Give every store its byte cap from the settings, and show what each
    holds in the stats; returns the in-flight budget the inference side uses.

    (MockState builds the task and scenario stores with their count limits
    only; their byte caps are set here until it passes them itself.)"""
    settings = state.settings
    state.tasks.budget.limit = settings.task_bytes
    state.scenarios.budget.limit = settings.scenario_bytes
    inflight = Budget("inflight", settings.inflight_bytes, "--inflight-bytes")
    state.stats.budgets[:] = [inflight, state.webhooks.budget, state.tasks.budget, state.scenarios.budget]
    return inflight


class MockApp:
    def __init__(self, settings: Settings) -> None:
        self.state = MockState(settings)
        self.control = build_control_app(self.state)
        self.inference = InferenceSide(self.state, _cap_stores(self.state))

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
