"""Response bodies held once and produced in parts.

A large body is never joined, copied whole or repeated in memory: `Data`
keeps its bytes as a tuple of parts, a `Stream` produces its pieces when they
are sent (an SSE event repeating a body holds that body once, however many
events there are), and both can be sent, signed or delivered again any number
of times. Work on large data (random bytes, decoding for SSE) is done
`PART` bytes at a time, yielding to the event loop between parts, so one
large answer never holds up the others.
"""

from __future__ import annotations

import asyncio
import codecs
import itertools
import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .memory import Hold

__all__ = ["PART", "Data", "Stream", "random_data", "sse_block", "EMPTY"]

#: The unit of work and of sending: a few hundred microseconds of any of it.
PART = 128 * 1024


class Data:
    """Bytes as a tuple of parts (one part for an ordinary body)."""

    __slots__ = ("parts", "size")

    def __init__(self, parts: tuple[bytes, ...]) -> None:
        self.parts = parts
        self.size = sum(len(part) for part in parts)

    @classmethod
    def of(cls, data: bytes) -> Data:
        return cls((data,))

    @property
    def held(self) -> int:
        return self.size

    def chunks(self) -> Iterator[bytes]:
        """All the bytes, in slices of at most PART."""
        return self.slice(0, self.size)

    def slice(self, start: int, end: int) -> Iterator[bytes]:
        """The bytes [start, end), in slices of at most PART."""
        offset = 0
        for part in self.parts:
            low, high = max(start - offset, 0), min(end - offset, len(part))
            if len(part) == high - low and high - low <= PART:
                yield part  # a whole small part: no copy
            else:
                for cut in range(low, high, PART):
                    yield part[cut:min(cut + PART, high)]
            offset += len(part)
            if offset >= end:
                return

    def to_bytes(self) -> bytes:
        """Joined: for small bodies only (joining copies)."""
        return self.parts[0] if len(self.parts) == 1 else b"".join(self.parts)

    def text(self) -> str:
        return self.to_bytes().decode("utf-8", errors="replace")


EMPTY = Data((b"",))


async def random_data(rng: random.Random, size: int) -> Data:
    """`size` bytes from `rng`, PART at a time: the same bytes as
    `rng.randbytes(size)` (PART is a multiple of 4, the generator's word)."""
    if size <= PART:
        return Data((rng.randbytes(size),))
    parts = []
    for start in range(0, size, PART):
        parts.append(rng.randbytes(min(PART, size - start)))
        await asyncio.sleep(0)
    return Data(tuple(parts))


async def sse_block(data: Data, hold: Hold | None = None) -> Data:
    """The `data:` lines of an event carrying `data` as text (each line of the
    UTF-8 text, invalid bytes replaced, as `data: <line>\n`). Its bytes are
    taken from `hold` part by part, as they are made."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    large = data.size > PART
    parts = [b"data: "]

    def add(text: str) -> None:
        part = text.replace("\n", "\ndata: ").encode("utf-8")
        if hold is not None:
            hold.take(len(part))
        parts.append(part)

    for chunk in data.chunks():
        add(decoder.decode(chunk))
        if large:
            await asyncio.sleep(0)
    add(decoder.decode(b"", final=True))  # a sequence cut off at the end is replaced
    parts.append(b"\n")
    return Data(tuple(parts)) if large else Data((b"".join(parts),))


def _digits_before(count: int) -> int:
    """Decimal digits written by 0, 1, ..., count - 1 together."""
    total, width, low = 0, 1, 0
    while low < count:
        high = min(count, 10**width)
        total += (high - low) * width
        low, width = high, width + 1
    return total


@dataclass(frozen=True, slots=True)
class Stream:
    """The pieces of a stream, made when sent.

    `kind` is `sse` or `chunked`; with `data` (a body field was set) an SSE
    event carries it (as its `data:` block, made by `sse_block`) and a chunked
    stream splits it into `count` nearly equal pieces; without, each piece is
    one small JSON document naming its index."""

    kind: str
    count: int
    correlation: str | None
    data: Data | None = None

    def _json(self, index: int) -> bytes:
        document = {"index": index, "count": self.count, "correlation": self.correlation}
        return json.dumps(document, separators=(",", ":")).encode("utf-8")

    def _frame(self, index: int) -> tuple[bytes, bytes]:
        """What surrounds a piece's data: (before, after)."""
        if self.kind == "sse":
            if self.data is not None:
                return b"id: %d\n" % index, b"\n"
            return b"id: %d\ndata: " % index, b"\n\n"
        return b"", (b"" if self.data is not None else b"\n")

    def pieces(self) -> Iterator[Iterable[bytes]]:
        """Each piece as its chunks (one chunk unless it is large), made as they are read."""
        data = self.data
        step = -(-data.size // self.count) if data is not None and self.count else 0
        for index in range(self.count):
            before, after = self._frame(index)
            if data is None:
                yield (before + self._json(index) + after,)
            elif self.kind == "chunked":
                yield data.slice(index * step, (index + 1) * step)
            elif data.size <= PART:
                yield (before + data.to_bytes() + after,)
            else:
                yield itertools.chain((before,), data.chunks(), (after,))

    def chunks(self) -> Iterator[bytes]:
        for piece in self.pieces():
            yield from piece

    @property
    def size(self) -> int:
        """Bytes of all the pieces together, computed (not produced): piece i
        is its frame and data plus the digits of i, once or twice."""
        count, digits = self.count, _digits_before(self.count)
        if count == 0:
            return 0
        if self.data is not None:
            if self.kind == "chunked":
                return self.data.size
            return count * (len(b"id: \n\n") + self.data.size) + digits
        plain = len(self._json(0)) - 1  # without the index's one digit
        if self.kind == "sse":
            return count * (len(b"id: \ndata: \n\n") + plain) + 2 * digits
        return count * (plain + 1) + digits

    @property
    def held(self) -> int:
        return self.data.size if self.data is not None else 0

    def to_bytes(self) -> bytes:
        """Joined: for small streams only (joining copies)."""
        return b"".join(self.chunks())
