"""Mutant: Ids are a counter (`req-000001`, `req-000002`, ...).

They are unique, so GW-ASYNC-06 holds, but anyone can read another
client's status and result by counting.

Breaks GW-ASYNC-09 (SHOULD: Ids are not sequential and carry at least 64
bits of randomness).
Realistic: an auto-increment database key used as the public Id.
"""

from __future__ import annotations

import itertools
from typing import Any

from conformance.reference import ReferenceGateway

BREAKS = "GW-ASYNC-09"
AIMED_AT = "ids_unique_and_unguessable"


class Gateway(ReferenceGateway):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._counter = itertools.count(1)

    def new_id(self) -> str:
        return f"req-{next(self._counter):06d}"
