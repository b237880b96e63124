"""A legal variant of the reference gateway, started with --implementation in test_cli.py:
its own id format, status/result routes under /v1, integer statuses, an extra field."""

from __future__ import annotations

import secrets
from typing import Any

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredRequest, Status


class PrefixedGateway(ReferenceGateway):
    status_route = "/v1/status/{deployment}"
    result_route = "/v1/result/{deployment}"

    def new_id(self) -> str:
        return "job_" + secrets.token_hex(16)

    def encode_status(self, status: Status) -> int:
        return int(status)

    def status_document(self, record: StoredRequest) -> dict[str, Any]:
        return {**super().status_document(record), "Deployment": record.deployment}
