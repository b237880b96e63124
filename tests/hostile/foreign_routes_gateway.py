"""Hostile gateway: its StatusPath and ResultPath are absolute URLs on another origin.

A subclass of the reference gateway whose accept document (and Location)
names `$HOSTILE_ELSEWHERE/status/{deployment}` and `.../result/...`: the
cloud metadata address a hostile gateway would use to collect the bearer
token the suite sends, played in the tests by tests/hostile/capture.py on
another loopback port (which may relay to this gateway's own routes, so the
run can go on when the user allows that origin).
"""

from __future__ import annotations

import os

from starlette.requests import Request

from conformance.reference import ReferenceGateway

ELSEWHERE = "HOSTILE_ELSEWHERE"


class Gateway(ReferenceGateway):
    def status_path(self, deployment: str, request: Request | None = None) -> str:
        return os.environ[ELSEWHERE].rstrip("/") + super().status_path(deployment, request)

    def result_path(self, deployment: str, request: Request | None = None) -> str:
        return os.environ[ELSEWHERE].rstrip("/") + super().result_path(deployment, request)
