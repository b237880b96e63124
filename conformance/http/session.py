"""HTTP as the checks speak it.

- `GatewayClient`: an httpx.AsyncClient wrapper that adds the run's extra
  headers (e.g. Authorization) to every gateway request, applies the
  per-request timeout, and records every exchange (both clocks, request
  line, headers, body; response status, headers, body) into the transcript
  of the check that made it. It can also send a request byte for byte
  (`raw`), for header values that httpx refuses to send (leading spaces).
- `MockControl`: the mock container's control API (docs/mock-container.md):
  long-poll waits on the journal by correlation and on the webhook sink by
  key. These exchanges are recorded too: they are the container side of a
  check's timeline.

A failed gateway request raises `GatewayError`, a `Failure`: a gateway
that does not answer fails the requirement being judged. A failed mock
request raises `InstrumentError`: the suite could not observe, which is
never the gateway's fault and never a pass.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import itertools
import ssl
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import h11
import httpx

from conformance.judge.model import (
    BodyRecord,
    ChunkRecord,
    ExchangeRecord,
    MockEntryRecord,
    RequestRecord,
    ResponseRecord,
)
from conformance.http.redact import is_credential_header
from conformance.judge.verdicts import Failure

__all__ = [
    "Recorder",
    "Transcript",
    "GatewayClient",
    "GatewayError",
    "InstrumentError",
    "MockControl",
    "JournalEntry",
    "RawResponse",
    "StreamedResponse",
    "current_case",
    "HeaderList",
]

HeaderList = Sequence[tuple[str, str]]

#: the sub-case a coroutine is working on; exchanges are tagged with it so a
#: failure can point at the exchanges of its own case
current_case: contextvars.ContextVar[str | None] = contextvars.ContextVar("conformance_case", default=None)

REDACTED = "<redacted>"
#: header values never written to a report (credentials)
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})


class GatewayError(Failure):
    """The gateway did not answer a request (connection refused, reset, timeout...)."""


class InstrumentError(RuntimeError):
    """The suite could not talk to the mock container's control API."""


class Recorder:
    """Run-wide: numbers exchanges, keeps the run's clock, knows what to redact."""

    def __init__(self, redact: Iterable[str] = ()) -> None:
        self.t0 = time.monotonic()
        self._seq = itertools.count(1)
        self.redact = SENSITIVE_HEADERS | {name.lower() for name in redact}

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

    def begin(self, target: str, method: str, url: str, headers: HeaderList, body: bytes, purpose: str | None) -> ExchangeRecord:
        record = ExchangeRecord(
            seq=self.recorder.next_seq(),
            check=self.check,
            target=target,
            started_at=time.time(),
            started=self.recorder.clock(),
            request=RequestRecord(method, url, self.recorder.headers(headers), BodyRecord.of(body)),
            case=current_case.get(),
            purpose=purpose,
        )
        self.exchanges.append(record)
        return record

    def finish(self, record: ExchangeRecord, response: httpx.Response | None, body: bytes = b"", error: str | None = None) -> None:
        record.elapsed = self.recorder.clock() - record.started
        record.error = error
        if response is not None:
            record.response = ResponseRecord(
                status=response.status_code,
                reason=response.reason_phrase,
                http_version=response.http_version,
                headers=self.recorder.headers(_pairs(response.headers)),
                body=BodyRecord.of(body),
            )

    def seqs(self, case: str | None = None) -> list[int]:
        """Seq numbers of this check's exchanges, of one case when given."""
        return [record.seq for record in self.exchanges if case is None or record.case == case]


def _pairs(headers: httpx.Headers) -> list[tuple[str, str]]:
    """Header lines in order with their names as sent or received (httpx lower-cases them elsewhere)."""
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers.raw]


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass
class StreamedResponse:
    response: httpx.Response
    body: bytes
    #: (seconds after the request was sent, size) per piece as it arrived
    chunks: list[tuple[float, int]]
    sent_wall: float


@dataclass
class RawResponse:
    status_code: int
    headers: httpx.Headers
    content: bytes
    elapsed: float

    def json(self) -> Any:
        import json

        return json.loads(self.content)


class GatewayClient:
    """Requests to one gateway deployment, recorded into one check's transcript."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        transcript: Transcript,
        *,
        base: str,
        extra_headers: HeaderList = (),
        timeout: float,
        target: str = "gateway",
    ) -> None:
        self._client = client
        self._transcript = transcript
        self.base = base.rstrip("/")
        self.extra_headers = list(extra_headers)
        self.timeout = timeout
        self.target = target

    def url(self, path: str, query: Sequence[tuple[str, str]] = ()) -> str:
        """`{base}/{path}?query`, the query encoded once, in order."""
        url = f"{self.base}/{path.lstrip('/')}"
        if query:
            url += "?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query)
        return url

    def _headers(self, headers: HeaderList | Mapping[str, str] | None) -> list[tuple[str, str]]:
        own = list(headers.items()) if isinstance(headers, Mapping) else list(headers or ())
        names = {name.lower() for name, _ in own}
        return own + [(name, value) for name, value in self.extra_headers if name.lower() not in names]

    def _begin(self, method: str, url: str, headers: HeaderList | Mapping[str, str] | None, content: bytes,
               purpose: str | None, timeout: float) -> tuple[httpx.Request, ExchangeRecord]:
        """Build the request (extra headers added) and open its transcript record."""
        request = self._client.build_request(method, url, headers=self._headers(headers), content=content, timeout=timeout)
        record = self._transcript.begin(self.target, method, str(request.url), _pairs(request.headers), content, purpose)
        return request, record

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: HeaderList | Mapping[str, str] | None = None,
        content: bytes = b"",
        purpose: str | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """Send one request; the response is fully read. Raises GatewayError when there is none.

        A GET or HEAD whose connection closed before any answer is sent once
        more on a fresh connection, as RFC 9110 §9.2.2 lets a client do for
        idempotent requests: a keep-alive connection the server was closing
        is the client's race, not the gateway's fault. Both tries are recorded.
        """
        tries = 2 if method in ("GET", "HEAD") else 1
        seqs: list[int] = []
        for attempt in range(1, tries + 1):
            request, record = self._begin(method, url, headers, content, purpose, timeout or self.timeout)
            seqs.append(record.seq)
            try:
                response = await self._client.send(request)
                break
            except httpx.HTTPError as exc:
                self._transcript.finish(record, None, error=_describe(exc))
                closed_early = isinstance(exc, (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError))
                if attempt < tries and closed_early:
                    continue
                raise GatewayError(
                    f"the gateway gave no answer to {method} {request.url}: {_describe(exc)}",
                    expected="an HTTP response",
                    actual=_describe(exc),
                    exchanges=seqs,
                ) from None
        self._transcript.finish(record, response, response.content)
        response.extensions["conformance_seq"] = record.seq
        return response

    async def stream(
        self,
        method: str,
        url: str,
        *,
        headers: HeaderList | Mapping[str, str] | None = None,
        content: bytes = b"",
        purpose: str | None = None,
    ) -> StreamedResponse:
        """Like `request`, but note when each piece of the body arrives."""
        request, record = self._begin(method, url, headers, content, purpose, self.timeout)
        sent, sent_wall = time.monotonic(), time.time()
        chunks: list[tuple[float, int]] = []
        body = bytearray()
        try:
            response = await self._client.send(request, stream=True)
            try:
                async for piece in response.aiter_raw():
                    chunks.append((time.monotonic() - sent, len(piece)))
                    body.extend(piece)
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            self._transcript.finish(record, None, bytes(body), error=_describe(exc))
            raise GatewayError(
                f"the gateway gave no complete answer to {method} {request.url}: {_describe(exc)}",
                expected="an HTTP response",
                actual=_describe(exc),
                exchanges=[record.seq],
            ) from None
        self._transcript.finish(record, response, bytes(body))
        record.chunks = [ChunkRecord(offset=round(offset, 6), size=size) for offset, size in chunks]
        return StreamedResponse(response, bytes(body), chunks, sent_wall)

    async def raw(
        self,
        method: str,
        url: str,
        *,
        headers: HeaderList,
        raw_headers: Sequence[tuple[str, bytes]] = (),
        content: bytes = b"",
        purpose: str | None = None,
    ) -> RawResponse:
        """Send a request whose `raw_headers` go on the wire exactly as given.

        httpx (h11) refuses field values with leading or trailing spaces,
        which GW-PREF-05 needs to send; h11 still frames the request and
        parses the response, only those header lines are written by hand.
        """
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        all_headers = [("Host", parts.netloc), *self._headers(headers), ("Content-Length", str(len(content)))]
        markers = {f"conformance-raw-{i}": value for i, (_, value) in enumerate(raw_headers)}
        all_headers += [(name, marker) for (name, _), marker in zip(raw_headers, markers)]
        conn = h11.Connection(h11.CLIENT)
        wire = conn.send(h11.Request(method=method, target=target, headers=all_headers))
        for marker, value in markers.items():
            wire = wire.replace(marker.encode(), value)
        wire += conn.send(h11.Data(data=content)) if content else b""
        wire += conn.send(h11.EndOfMessage())
        shown = [(n, v) for n, v in all_headers if v not in markers] + [(n, v.decode("latin-1")) for n, v in raw_headers]
        record = self._transcript.begin(self.target, method, url, shown, content, purpose)
        started = time.monotonic()
        try:
            status, headers_out, body, reason, version = await asyncio.wait_for(
                self._exchange_raw(host, port, parts.scheme == "https", wire, conn), self.timeout
            )
        except (OSError, asyncio.TimeoutError, h11.ProtocolError) as exc:
            self._transcript.finish(record, None, error=_describe(exc))
            raise GatewayError(
                f"the gateway gave no answer to {method} {url}: {_describe(exc)}",
                expected="an HTTP response",
                actual=_describe(exc),
                exchanges=[record.seq],
            ) from None
        fake = httpx.Response(status, headers=headers_out, content=body)
        self._transcript.finish(record, fake, body)
        if record.response is not None:
            record.response.reason, record.response.http_version = reason, f"HTTP/{version}"
        return RawResponse(status, httpx.Headers(headers_out), body, time.monotonic() - started)

    @staticmethod
    async def _exchange_raw(host: str, port: int, tls: bool, wire: bytes, conn: h11.Connection):
        context = ssl.create_default_context() if tls else None
        reader, writer = await asyncio.open_connection(host, port, ssl=context)
        try:
            writer.write(wire)
            await writer.drain()
            response, body = None, bytearray()
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    conn.receive_data(await reader.read(65536))
                elif isinstance(event, h11.Response):
                    response = event
                elif isinstance(event, h11.Data):
                    body.extend(event.data)
                elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                    break
            if response is None:
                raise h11.RemoteProtocolError("connection closed before a response")
            headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in response.headers]
            return response.status_code, headers, bytes(body), response.reason.decode("latin-1"), response.http_version.decode()
        finally:
            writer.close()


@dataclass
class JournalEntry:
    """One request as the mock container received it (docs/mock-container.md)."""

    raw: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.raw[name]
        except KeyError:
            raise AttributeError(name) from None

    def header_values(self, name: str) -> list[str]:
        """Every value of header `name`, one per header line, as received."""
        name = name.lower()
        return [value for key, value in self.raw.get("headers") or [] if key.lower() == name]

    @property
    def body(self) -> bytes:
        """The body as the journal kept it (possibly truncated: see `body_truncated`)."""
        return base64.b64decode(self.raw.get("body_base64") or "")

    @property
    def content_type(self) -> str | None:
        values = self.header_values("content-type")
        return values[0] if values else None

    def describe(self) -> str:
        return (
            f"{self.raw.get('method')} {self.raw.get('path')}?{self.raw.get('query') or ''} "
            f"(body {self.raw.get('body_size')} bytes, Content-Type {self.content_type!r}, "
            f"Prefer {self.header_values('prefer')!r})"
        )


def _mock_entries(data: Any) -> list[MockEntryRecord] | None:
    """The container side of a report's timelines: when each entry a control answer listed arrived.

    Kept apart from the recorded body, which is cut at TEXT_KEEP characters.
    """
    if not isinstance(data, dict):
        return None
    found = []
    for kind, items in (("journal", data.get("entries")), ("webhook", data.get("deliveries"))):
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("time"), (int, float)):
                continue
            status, delay = item.get("status"), item.get("delay")
            found.append(MockEntryRecord(
                kind=kind, seq=int(item.get("seq") or 0), time=float(item["time"]),
                key=item.get("correlation") if kind == "journal" else item.get("key"),
                method=item.get("method"), path=item.get("path"),
                status=status if isinstance(status, int) else None,
                delay=float(delay) if isinstance(delay, (int, float)) else None,
            ))
    return found or None


class MockControl:
    """The mock container's control API, recorded into one check's transcript."""

    def __init__(self, client: httpx.AsyncClient, transcript: Transcript, base: str) -> None:
        self._client = client
        self._transcript = transcript
        self.base = base.rstrip("/")

    def webhook_url(self, key: str) -> str:
        """Where the mock's webhook sink records deliveries under `key`."""
        return f"{self.base}/_mock/webhooks/{quote(key, safe='')}"

    async def _get(self, path: str, params: dict[str, Any], wait: float, purpose: str) -> dict[str, Any]:
        response, record = await instrument_get(self._client, self._transcript, "mock", "the mock container's control API",
                                                self.base + path, params, wait, purpose)
        data = response.json()
        record.mock_entries = _mock_entries(data)
        return data


    async def wait_journal(self, correlation: str, count: int, timeout: float) -> list[JournalEntry]:
        """Entries with this correlation once there are `count` of them, or all there are after `timeout` s."""
        data = await self._get(
            "/_mock/journal/wait",
            {"correlation": correlation, "count": count, "timeout": round(max(timeout, 0.0), 3)},
            timeout,
            f"wait for {count} journal entr{'y' if count == 1 else 'ies'} of {correlation}",
        )
        return [JournalEntry(entry) for entry in data.get("entries", [])]

    async def journal(self, correlation: str) -> list[JournalEntry]:
        data = await self._get("/_mock/journal", {"correlation": correlation}, 0.0, f"journal of {correlation}")
        return [JournalEntry(entry) for entry in data.get("entries", [])]

    async def wait_webhooks(self, key: str, count: int, timeout: float) -> list[dict[str, Any]]:
        data = await self._get(
            "/_mock/webhooks/wait",
            {"key": key, "count": count, "timeout": round(max(timeout, 0.0), 3)},
            timeout,
            f"wait for {count} webhook deliver{'y' if count == 1 else 'ies'} under {key}",
        )
        return list(data.get("deliveries", []))


async def instrument_get(client: httpx.AsyncClient, transcript: Transcript, target: str, what: str, url: str,
                         params: dict[str, Any], wait: float, purpose: str) -> tuple[httpx.Response, ExchangeRecord]:
    """A recorded GET to one of the suite's own instruments (the mock's control API, the webhook sink).

    Such a request failing is the suite's problem, never the target's: it
    raises InstrumentError, so no verdict is drawn from it.
    """
    request = client.build_request("GET", url, params=params, timeout=wait + 10.0)
    record = transcript.begin(target, "GET", str(request.url), _pairs(request.headers), b"", purpose)
    try:
        response = await client.send(request)
    except httpx.HTTPError as exc:
        transcript.finish(record, None, error=_describe(exc))
        raise InstrumentError(f"{what} did not answer {request.url}: {_describe(exc)}") from None
    transcript.finish(record, response, response.content)
    if response.status_code != 200:
        raise InstrumentError(f"{what} answered {response.status_code} to {request.url}: {response.text[:300]}")
    return response, record
