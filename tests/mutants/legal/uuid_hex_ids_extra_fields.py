"""Legal variant: another Id format, extra JSON fields and extra headers everywhere.

- Ids are 32 hex digits (`uuid4().hex`), not the dashed UUID form;
- the accept document and the status object carry extra fields;
- every response carries extra headers (`X-Gateway`, `Cache-Control`,
  `Retry-After` on a 202), relayed container answers included.

The contract allows extra fields and headers and says nothing of the Id
format beyond uniqueness and randomness, so every MUST and SHOULD passes.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredRequest

LEGALLY_FAILS: frozenset[str] = frozenset()


class ExtraHeaders:
    """Adds the gateway's own headers to every response (the way an edge proxy does)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(b"x-gateway", b"legal-variant/1.0"), (b"cache-control", b"no-store")]
                if message["status"] == 202:
                    extra.append((b"retry-after", b"1"))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Gateway(ReferenceGateway):
    def new_id(self) -> str:
        return uuid.uuid4().hex

    def build_app(self) -> ASGIApp:
        return ExtraHeaders(super().build_app())

    def accept_document(self, record: StoredRequest, request: Request) -> dict[str, Any]:
        return {**super().accept_document(record, request), "Deployment": record.deployment,
                "AcceptedAt": time.time(), "Links": {"docs": "https://example.invalid/async"}}

    def status_document(self, record: StoredRequest) -> dict[str, Any]:
        return {**super().status_document(record), "Deployment": record.deployment, "QueuePosition": None}
