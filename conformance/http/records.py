"""What one HTTP exchange was, as the suite records it: request, answer, timing.

The recording transport (recording.py) fills these as requests go out and
answers come back; the result model (conformance.judge.model) is made of
them, so every report shows an exchange the same way.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
from dataclasses import dataclass

__all__ = ["REDACTED", "TEXT_KEEP", "BodyRecord", "BodyRecorder", "RequestRecord", "ResponseRecord", "ChunkRecord",
           "MockEntryRecord", "ExchangeRecord"]

#: what a credential's value is replaced with wherever it would be written
REDACTED = "<redacted>"
#: how much of a text body a record keeps (the size and hash cover all of it)
TEXT_KEEP = 2048


@dataclass
class BodyRecord:
    """A body as a report keeps it: its size and hash always, the start of it when it is text."""

    size: int
    sha256: str
    binary: bool
    text: str | None = None
    truncated: bool = False
    #: a small binary body whole (at most `keep` bytes), so a failure's curl reproduction can resend it
    base64: str | None = None

    @classmethod
    def of(cls, data: bytes, keep: int = TEXT_KEEP) -> "BodyRecord":
        return BodyRecorder(keep).feed(data).record()


class BodyRecorder:
    """A BodyRecord built piece by piece, as a body streams past, holding no more than it keeps.

    Text is told from binary by decoding as the pieces come (a UTF-8
    sequence may be split between two pieces); a binary body is kept whole
    only while it fits in `keep` bytes.
    """

    def __init__(self, keep: int = TEXT_KEEP) -> None:
        self.keep = keep
        self.size = 0
        self._digest = hashlib.sha256()
        self._decoder: codecs.IncrementalDecoder | None = codecs.getincrementaldecoder("utf-8")()
        self._text: list[str] = []
        self._chars = 0
        self._raw = bytearray()

    def feed(self, piece: bytes) -> "BodyRecorder":
        self.size += len(piece)
        self._digest.update(piece)
        if len(self._raw) <= self.keep:
            self._raw += piece[: self.keep + 1 - len(self._raw)]
        if self._decoder is not None:
            try:
                self._take(self._decoder.decode(piece))
            except UnicodeDecodeError:
                self._decoder = None
        return self

    def _take(self, text: str) -> None:
        if self._chars <= self.keep:
            self._text.append(text[: self.keep + 1 - self._chars])
        self._chars += len(text)

    def record(self) -> BodyRecord:
        digest = self._digest.hexdigest()
        if self._decoder is not None:
            try:
                self._take(self._decoder.decode(b"", final=True))
            except UnicodeDecodeError:
                self._decoder = None
        if self._decoder is None:
            kept = base64.b64encode(bytes(self._raw)).decode("ascii") if self.size <= self.keep else None
            return BodyRecord(size=self.size, sha256=digest, binary=True, base64=kept)
        text = "".join(self._text)
        return BodyRecord(size=self.size, sha256=digest, binary=False, text=text[: self.keep],
                          truncated=self._chars > self.keep)


@dataclass
class RequestRecord:
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: BodyRecord


@dataclass
class ResponseRecord:
    status: int
    reason: str
    http_version: str
    headers: list[tuple[str, str]]
    body: BodyRecord


@dataclass
class ChunkRecord:
    """One piece of a streamed response body as it arrived."""

    offset: float  # seconds after the request was sent
    size: int


@dataclass
class MockEntryRecord:
    """A journal entry or webhook delivery that a mock control answer reported: the container side of a timeline."""

    kind: str  # "journal" (the container received a request) or "webhook" (the sink received a delivery)
    seq: int
    time: float  # the mock's wall clock, unix seconds
    key: str | None = None  # the journal entry's correlation, or the sink key
    method: str | None = None
    path: str | None = None
    status: int | None = None  # what the container answered (null while pending or for a fault), or the sink
    delay: float | None = None  # seconds the container took on purpose (journal entries)


@dataclass
class ExchangeRecord:
    """One HTTP request and what came back, with both clocks."""

    seq: int
    check: str
    target: str  # "gateway", "other-gateway" or "mock"; "container" or "sink" in a container run
    started_at: float  # wall clock, unix seconds
    started: float  # monotonic seconds since the run started
    request: RequestRecord
    case: str | None = None
    purpose: str | None = None
    elapsed: float | None = None
    response: ResponseRecord | None = None
    error: str | None = None
    chunks: list[ChunkRecord] | None = None
    #: on a mock control exchange: the journal entries / webhook deliveries its answer reported
    mock_entries: list[MockEntryRecord] | None = None
