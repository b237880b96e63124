"""Legal variant: the whole gateway under `/v2`: inference at
`/v2/{deployment}/{path}`, status at `/v2/status/{deployment}`, result at
`/v2/result/{deployment}`.

The suite is given the inference base (`RUN_KWARGS`) and follows
StatusPath and ResultPath, so it assumes nothing about the layout: every
MUST and SHOULD passes.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from conformance.reference import ReferenceGateway
from conformance.reference.gateway import ALL_METHODS

LEGALLY_FAILS: frozenset[str] = frozenset()
RUN_KWARGS = {"gateway": "http://127.0.0.1:{port}/v2/mock", "other_gateway": "http://127.0.0.1:{port}/v2/other"}

PREFIX = "/v2"


class Gateway(ReferenceGateway):
    status_route = PREFIX + "/status/{deployment}"
    result_route = PREFIX + "/result/{deployment}"

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/health", self.health_endpoint, methods=["GET"]),
            Route(self.status_route, self.status_endpoint, methods=["GET"]),
            Route(self.result_route, self.result_endpoint, methods=["GET"]),
            Route(PREFIX + "/{deployment}", self.inference_endpoint, methods=ALL_METHODS),
            Route(PREFIX + "/{deployment}/{path:path}", self.inference_endpoint, methods=ALL_METHODS),
        ]

    def container_target(self, request: Request) -> bytes:
        raw = request.scope.get("raw_path") or request.scope["path"].encode()
        return super().container_target(Request({**request.scope, "raw_path": raw[len(PREFIX):]}))
