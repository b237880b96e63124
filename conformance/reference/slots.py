"""Non-blocking counters of concurrent work: a full counter is a 503, never a wait."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import Request

from .config import UPLOAD_THRESHOLD

__all__ = ["Slots", "UploadSlots", "is_upload"]


class Slots:
    """`size` slots; `try_take` says False when all are taken."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.used = 0

    def try_take(self) -> bool:
        if self.used >= self.size:
            return False
        self.used += 1
        return True

    def give_back(self) -> None:
        self.used = max(0, self.used - 1)


def is_upload(headers: Headers) -> bool:
    """A body over UPLOAD_THRESHOLD bytes, or one of unknown length (chunked)."""
    declared = headers.get("content-length")
    if declared is not None and declared.strip().isdigit():
        return int(declared) > UPLOAD_THRESHOLD
    return "transfer-encoding" in headers


class UploadSlots(Slots):
    """Large request bodies being read or held until handed on, at most `size` at once.

    A request takes its slot before the first byte of its body is read and
    keeps it until the gateway has handed the body on (queued it under the
    byte budget, or sent it to the container); the request's handler gives
    it back, whatever happened. Small bodies take none (see UPLOAD_THRESHOLD).
    """

    _KEY = "conformance.upload_slot"

    def try_take_for(self, request: Request) -> bool:
        """True when `request` may read its body (it holds a slot, or needs none)."""
        if request.scope.get(self._KEY) or not is_upload(request.headers):
            return True
        if not self.try_take():
            return False
        request.scope[self._KEY] = True
        return True

    def give_back_for(self, request: Request) -> None:
        if request.scope.pop(self._KEY, False):
            self.give_back()
