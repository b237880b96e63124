"""Mutant: every Id comes from a random generator seeded with the current
Unix second, so all submissions within one second get the same Id; the
record store takes the newest under that Id (no "already in use" guard).

Every submission is still answered 202, but N concurrent submissions share
one or two Ids, and all but the last of each are unreachable.

Breaks GW-ASYNC-06 (N concurrent submissions get N distinct Ids).
Realistic: `random.seed(int(time.time()))` before drawing a UUID is a
classic copy-paste, and `records[id] = record` does not check for an
existing entry; the Ids look random, and one request at a time never shows it.
"""

from __future__ import annotations

import random
import time
import uuid

from conformance.reference import ReferenceGateway
from conformance.reference.workers import Job

BREAKS = "GW-ASYNC-06"
AIMED_AT = "ids_unique_and_unguessable"


class Gateway(ReferenceGateway):
    def new_id(self) -> str:
        generator = random.Random(int(time.time()))
        return str(uuid.UUID(int=generator.getrandbits(128), version=4))

    def admit(self, job: Job, inference_id: str | None) -> None:
        if inference_id is not None:  # records[id] = record: the newest submission wins the Id
            earlier = self.store.get(job.deployment.name, inference_id)
            if earlier is not None:
                self.store.remove(earlier)
        super().admit(job, inference_id)
