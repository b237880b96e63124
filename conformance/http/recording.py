"""The one place every exchange of a run is recorded: an httpx transport.

httpx's transport boundary sits below every way the suite sends (a whole
request, a streamed answer, a raw request written byte for byte), so
recording there, once, means the three cannot drift apart: each request is
written into its check's transcript before it goes out, and its answer as
its body streams past (size, hash, the start of it, when each piece came).

- `Recorder`: run-wide; numbers exchanges, keeps the run's clock, knows
  which header values never reach a report.
- `Transcript`: every exchange one check made.
- `RecordingTransport`: wraps the run's shared connection pool for one
  check and one target (`gateway`, `other-gateway`, `mock`, `container`...).
- `recording_client`: an `httpx.AsyncClient` over such a transport.

A request may carry extensions: `conformance_purpose` (a label for
reports) and `conformance_chunks` (keep the arrival time of each piece,
for streamed answers). The sub-case a coroutine works on is the context
variable `current_case`; exchanges are tagged with it.
"""

from __future__ import annotations

import contextvars
import itertools
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field

import httpx

from conformance.http.records import (
    REDACTED,
    BodyRecord,
    BodyRecorder,
    ChunkRecord,
    ExchangeRecord,
    RequestRecord,
    ResponseRecord,
)
from conformance.http.redact import is_credential_header, redact_url

__all__ = ["Recorder", "Transcript", "RecordingTransport", "recording_client", "current_case", "record_of",
           "describe_error", "PURPOSE", "CHUNKS", "RECORDS"]

#: request extension: what the request is for, as reports show it (the mock's client sets the same key)
PURPOSE = "purpose"
#: request extension: record when each piece of the answer arrived
CHUNKS = "conformance_chunks"
#: request extension: a list every record made for this request is appended to (a request sent twice has two)
RECORDS = "conformance_records"
#: response extension: the ExchangeRecord of the answer
RECORD = "conformance_record"

#: the sub-case a coroutine is working on; exchanges are tagged with it so a
#: failure can point at the exchanges of its own case
current_case: contextvars.ContextVar[str | None] = contextvars.ContextVar("conformance_case", default=None)



def describe_error(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Recorder:
    """Run-wide: numbers exchanges, keeps the run's clock, knows what to redact."""

    def __init__(self, redact: Iterable[str] = ()) -> None:
        self.t0 = time.monotonic()
        self._seq = itertools.count(1)
        self.redact = {name.lower() for name in redact}  # beside every name is_credential_header knows

    def clock(self) -> float:
        """Monotonic seconds since the run started."""
        return time.monotonic() - self.t0

    def next_seq(self) -> int:
        return next(self._seq)

    def headers(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(name, REDACTED if name.lower() in self.redact or is_credential_header(name) else value)
                for name, value in headers]


@dataclass
class Transcript:
    """Every exchange one check made, in the order they started."""

    check: str
    recorder: Recorder
    exchanges: list[ExchangeRecord] = field(default_factory=list)

    def begin(self, target: str, method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes,
              purpose: str | None) -> ExchangeRecord:
        record = ExchangeRecord(
            seq=self.recorder.next_seq(),
            check=self.check,
            target=target,
            started_at=time.time(),
            started=self.recorder.clock(),
            request=RequestRecord(method, redact_url(url), self.recorder.headers(headers), BodyRecord.of(body)),
            case=current_case.get(),
            purpose=purpose,
        )
        self.exchanges.append(record)
        return record

    def answered(self, record: ExchangeRecord, response: httpx.Response, body: BodyRecord) -> None:
        record.response = ResponseRecord(
            status=response.status_code,
            reason=response.reason_phrase,
            http_version=response.http_version,
            headers=self.recorder.headers(header_lines(response.headers)),
            body=body,
        )

    def ended(self, record: ExchangeRecord, error: str | None = None) -> None:
        record.elapsed = self.recorder.clock() - record.started
        record.error = error

    def seqs(self, case: str | None = None) -> list[int]:
        """Seq numbers of this check's exchanges, of one case when given."""
        return [record.seq for record in self.exchanges if case is None or record.case == case]


def header_lines(headers: httpx.Headers) -> list[tuple[str, str]]:
    """Header lines in order with their names as sent or received (httpx lower-cases them elsewhere)."""
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers.raw]


def record_of(response: httpx.Response) -> ExchangeRecord | None:
    """The record of an answer that came through a RecordingTransport."""
    return response.extensions.get(RECORD)


class _RecordingStream(httpx.AsyncByteStream):
    """The answer's body as it passes to the caller: recorded piece by piece, the record closed at its end."""

    def __init__(self, inner: httpx.AsyncByteStream, record: ExchangeRecord, transcript: Transcript, sent: float,
                 chunks: bool, annotate: Callable[[ExchangeRecord, bytes], None] | None) -> None:
        self._inner = inner
        self.response: httpx.Response | None = None  # set once the response around it exists
        self._record = record
        self._transcript = transcript
        self._sent = sent
        self._chunks: list[ChunkRecord] | None = [] if chunks else None
        self._annotate = annotate
        self._body = BodyRecorder()
        self._whole = bytearray() if annotate else None
        self._closed = False
        self._error: str | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for piece in self._inner:
                if self._chunks is not None:
                    self._chunks.append(ChunkRecord(offset=round(time.monotonic() - self._sent, 6), size=len(piece)))
                self._body.feed(piece)
                if self._whole is not None:
                    self._whole += piece
                yield piece
        except Exception as exc:
            self._error = describe_error(exc)
            raise

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._close()

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.response is not None:
            self._transcript.answered(self._record, self.response, self._body.record())
        self._record.chunks = self._chunks
        if self._annotate is not None and self._whole is not None and self._error is None:
            self._annotate(self._record, bytes(self._whole))
        self._transcript.ended(self._record, self._error)


class RecordingTransport(httpx.AsyncBaseTransport):
    """Records every exchange through `inner` into one transcript, as `target`.

    It does not own `inner` (the run's shared pool): closing it closes nothing.
    `annotate` may add to a record once the whole answer is in (the mock's
    control answers list the journal entries a timeline shows).
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, transcript: Transcript, target: str,
                 annotate: Callable[[ExchangeRecord, bytes], None] | None = None) -> None:
        self.inner = inner
        self.transcript = transcript
        self.target = target
        self.annotate = annotate

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        shown = header_lines(request.headers) + [(name, value.decode("latin-1"))
                                                 for name, value in request.extensions.get("conformance_raw_headers", ())]
        record = self.transcript.begin(self.target, request.method, str(request.url), shown, request.content,
                                       request.extensions.get(PURPOSE))
        if isinstance(request.extensions.get(RECORDS), list):
            request.extensions[RECORDS].append(record)
        sent = time.monotonic()
        try:
            response = await self.inner.handle_async_request(request)
        except Exception as exc:
            self.transcript.ended(record, describe_error(exc))
            raise
        # a new response around the same stream: one the inner transport built already read
        # (e.g. from bytes) would otherwise never be iterated, and so never recorded
        stream = _RecordingStream(response.stream, record, self.transcript, sent,  # type: ignore[arg-type]
                                  bool(request.extensions.get(CHUNKS)), self.annotate)
        recorded = httpx.Response(response.status_code, headers=response.headers.raw, request=request, stream=stream,
                                  extensions={**response.extensions, RECORD: record, "conformance_seq": record.seq})
        stream.response = recorded
        return recorded

    async def aclose(self) -> None:
        pass  # the run closes the shared pool


def recording_client(inner: httpx.AsyncBaseTransport, transcript: Transcript, target: str, *, timeout: float,
                     annotate: Callable[[ExchangeRecord, bytes], None] | None = None) -> httpx.AsyncClient:
    """A client whose every exchange lands in `transcript`; never honours proxy variables of the environment."""
    return httpx.AsyncClient(transport=RecordingTransport(inner, transcript, target, annotate), timeout=timeout,
                             follow_redirects=False, trust_env=False)
