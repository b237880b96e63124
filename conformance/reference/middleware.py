"""The ASGI pieces around the gateway's routes: bearer auth, Date, cut relays."""

from __future__ import annotations

import hmac
import time
from email.utils import formatdate

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import GatewayError, error_response
from .proxy import RelayBroken

__all__ = ["BearerAuth", "DateHeader", "CutBrokenRelays"]


class BearerAuth:
    """Require `Authorization: Bearer <key>` on every path but the open ones.

    Emulates the provider's inference keys, so the suite's extra-headers
    option and the provider's client can be tried for real.
    """

    def __init__(self, app: ASGIApp, key: str, open_paths: frozenset[str] = frozenset({"/health"})) -> None:
        self.app = app
        self.expected = b"bearer " + key.encode()
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.open_paths or self._authorized(scope):
            await self.app(scope, receive, send)
            return
        error = GatewayError(
            401,
            "missing or wrong API key: send Authorization: Bearer <key>",
            header="Authorization",
            headers={"WWW-Authenticate": "Bearer"},
        )
        await error_response(error)(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        values = [value for name, value in scope["headers"] if name.lower() == b"authorization"]
        if len(values) != 1:
            return False
        scheme, _, token = values[0].strip().partition(b" ")
        given = scheme.lower() + b" " + token.strip()
        return hmac.compare_digest(given, self.expected)


class DateHeader:
    """Give every response exactly one Date: the container's when relayed, ours otherwise.

    (uvicorn's own Date is switched off, or relayed responses would carry two.)
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._second = -1
        self._value = b""

    def _now(self) -> bytes:
        second = int(time.time())
        if second != self._second:
            self._second, self._value = second, formatdate(second, usegmt=True).encode()
        return self._value

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_date(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"date" for name, _ in headers):
                    headers.append((b"date", self._now()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_date)


class CutBrokenRelays:
    """End the ASGI call quietly when a relayed body broke off.

    The response has started, so the only honest signal left is to close the
    connection without finishing the body; the server does that when the app
    returns with the response incomplete. The relay already logged why.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except RelayBroken:
            pass
