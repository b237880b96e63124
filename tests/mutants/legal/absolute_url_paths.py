"""Legal variant: StatusPath, ResultPath and Location are absolute URLs
(`http://127.0.0.1:PORT/status/mock`), built from the request's own origin.

Every MUST and SHOULD passes.
"""

from __future__ import annotations

from starlette.requests import Request

from conformance.reference import ReferenceGateway

LEGALLY_FAILS: frozenset[str] = frozenset()


def absolute(path: str, request: Request | None) -> str:
    return path if request is None else str(request.base_url).rstrip("/") + path


class Gateway(ReferenceGateway):
    def status_path(self, deployment: str, request: Request | None = None) -> str:
        return absolute(super().status_path(deployment, request), request)

    def result_path(self, deployment: str, request: Request | None = None) -> str:
        return absolute(super().result_path(deployment, request), request)
