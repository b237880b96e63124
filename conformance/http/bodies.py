"""Reading a body no further than a cap.

Every server of the kit reads bodies it did not choose (the mock container
its requests, the reference gateway its clients' uploads and its
containers' answers); each stops at its cap instead of holding whatever a
peer sends. This is the one reader they share.
"""

from __future__ import annotations

from collections.abc import AsyncIterable

__all__ = ["BodyTooLarge", "read_capped"]


class BodyTooLarge(Exception):
    """The body went past `limit` bytes; what came after was not read."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body is over the limit of {limit} bytes")
        self.limit = limit


async def read_capped(chunks: AsyncIterable[bytes], limit: int) -> bytes:
    """The whole body, or BodyTooLarge as soon as it passes `limit` bytes."""
    body = bytearray()
    async for chunk in chunks:
        if len(body) + len(chunk) > limit:
            raise BodyTooLarge(limit)
        body += chunk
    return bytes(body)
