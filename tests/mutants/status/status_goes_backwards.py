"""Mutant: every other status read is answered from a lagging replica that
has not yet heard that the request moved from `Queue` to `Inference`, so a
poller sees Queue -> Inference -> Queue -> Inference ... -> Completed.

(Completion is published to every replica at once, so `Completed` and the
`Error` that comes with it are never stale.)

Breaks GW-STATUS-02 (statuses never go backwards).
Realistic: status served from read replicas behind a load balancer, where
only some state changes are written through; each replica is "eventually"
right, and alternating requests see time run backwards.
"""

from __future__ import annotations

import collections
from typing import Any

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredRequest, Status

BREAKS = "GW-STATUS-02"
AIMED_AT = "status_lifecycle"


class Gateway(ReferenceGateway):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reads: collections.Counter[str] = collections.Counter()

    def status_document(self, record: StoredRequest) -> dict[str, Any]:
        document = super().status_document(record)
        self._reads[record.id] += 1
        from_replica = self._reads[record.id] % 2 == 0
        if from_replica and record.status is Status.INFERENCE:
            document["Status"] = self.encode_status(Status.QUEUE)
        return document
