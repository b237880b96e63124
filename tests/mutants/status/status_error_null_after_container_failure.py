"""Mutant: `Error` stays null when the container answered 4xx or 5xx; it is
set only when the gateway could not reach the container at all.

(The failure stays visible through the result's status code, so
GW-RESULT-02 still holds.)

Breaks GW-STATUS-08 (SHOULD: Error is a non-empty string once the inference
failed, the container answering 5xx included).
Realistic: "error" is taken to mean a transport error; any HTTP answer from
the container counts as a completed inference.
"""

from __future__ import annotations

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredResponse

BREAKS = "GW-STATUS-08"
AIMED_AT = "result_of_failure"


class Gateway(ReferenceGateway):
    def error_for(self, response: StoredResponse) -> str | None:
        return None
