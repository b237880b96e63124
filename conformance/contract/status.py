"""The four states of an accepted request, in the two encodings the provider publishes (GW-STATUS-01).

Names (`Initialized`..`Completed`) are what the provider's current client
parses; its tutorial shows the integers 0..3. A state's integer is its
index here, and the order is the order statuses may move in (GW-STATUS-02).
"""

from __future__ import annotations

__all__ = ["STATUS_NAMES", "COMPLETED"]

STATUS_NAMES = ("Initialized", "Queue", "Inference", "Completed")
#: the terminal state's integer
COMPLETED = STATUS_NAMES.index("Completed")
