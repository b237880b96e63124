"""Legal variant: StatusPath, ResultPath and Location are relative references
(`../../status/mock` from `/mock/v1/generate`), resolved against the URL of
the submission as RFC 3986 says.

Every MUST and SHOULD passes.
"""

from __future__ import annotations

import posixpath

from starlette.requests import Request

from conformance.reference import ReferenceGateway

LEGALLY_FAILS: frozenset[str] = frozenset()


def relative(target: str, request: Request | None) -> str:
    if request is None:
        return target
    return posixpath.relpath(target, posixpath.dirname(request.url.path))


class Gateway(ReferenceGateway):
    def status_path(self, deployment: str, request: Request | None = None) -> str:
        return relative(super().status_path(deployment, request), request)

    def result_path(self, deployment: str, request: Request | None = None) -> str:
        return relative(super().result_path(deployment, request), request)
