"""THE client of the mock container's control API, shipped with the mock.

`MockClient` (over an `httpx.Client`) and `AsyncMockClient` (over an
`httpx.AsyncClient`) have the same methods; only the I/O differs. Everything
else lives once, in `_Operations`: each method names its route, its query
parameters and how its answer reads into small dataclasses (`Page` of
`JournalEntry` or `Delivery`, `MockInfo`, `Health`, `TaskAnswer`).

The caller supplies the httpx client, so its transport may record every
exchange (each request carries its purpose in `request.extensions[PURPOSE]`),
and a `base` URL: the mock itself, or a gateway deployment in front of it,
with `headers` sent on every call (e.g. `Authorization: Bearer K`).

Every failure is one exception, `MockError`, carrying the URL, the status
(None when nothing answered) and a short excerpt of the body: nothing
answered, the mock refused (its JSON error document is kept), or the answer
is not the mock's JSON at all (an HTML page from a gateway, say), which the
message calls "not a mock container".
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote, urlencode

import httpx

from .info import API_VERSION, INSTANCE_HEADER

__all__ = [
    "MockClient", "AsyncMockClient", "MockError", "Page", "JournalEntry", "Delivery", "MockInfo", "Health",
    "TaskAnswer", "Scenario", "API_VERSION", "PURPOSE", "WAIT_MARGIN", "sink_url",
]

#: Seconds a long-poll's HTTP request may take beyond the wait it asks the mock for.
WAIT_MARGIN = 10.0
#: Characters of an unexpected body quoted in a MockError.
EXCERPT = 200
#: The request extension that says why a call was made, for a transport that records exchanges
#: (the suite's recording transport reads the same key; httpx passes unknown extensions through).
PURPOSE = "purpose"

T = TypeVar("T")


class MockError(Exception):
    """The mock's control API could not be used: the message says why, in one line."""

    def __init__(self, message: str, *, url: str, status: int | None = None, excerpt: str = "",
                 document: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.excerpt = excerpt
        self.document = document  # the mock's own JSON error document, when it refused


def _excerpt(content: bytes) -> str:
    """The start of a body, control characters escaped, at most EXCERPT characters."""
    text = content[: EXCERPT * 4].decode("utf-8", "replace")
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= EXCERPT else text[:EXCERPT] + "..."


class _NotTheMock(ValueError):
    """An answer that does not have the shape of the mock's (raised while parsing)."""


def _get(data: Any, name: str, *types: type) -> Any:
    """`data[name]`, which must be one of `types` (a bool is no int here)."""
    if not isinstance(data, Mapping):
        raise _NotTheMock(f"its JSON is {type(data).__name__}, not an object")
    if name not in data:
        raise _NotTheMock(f"no `{name}`")
    value = data[name]
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        raise _NotTheMock(f"`{name}` is {type(value).__name__}")
    return value


# --------------------------------------------------------------------------- what answers read into


@dataclass(frozen=True, kw_only=True)
class Message:
    """What the mock recorded of one message (request or delivery)."""

    seq: int
    time: float
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body_size: int
    body_sha256: str
    body: bytes  # what was kept: the first `--body-keep` bytes
    body_truncated: bool
    raw: dict[str, Any] = field(repr=False, compare=False)  # the JSON as the mock sent it

    def header_values(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self.headers if key.lower() == name]

    @property
    def content_type(self) -> str | None:
        values = self.header_values("content-type")
        return values[0] if values else None

    def describe(self) -> str:
        """One line: what arrived, as a failure message quotes it."""
        query = f"?{self.query}" if self.query else ""
        return (f"{self.method} {self.path}{query} (body {self.body_size} bytes, Content-Type {self.content_type!r}, "
                f"Prefer {self.header_values('prefer')!r})")

    @staticmethod
    def _common(data: Mapping[str, Any]) -> dict[str, Any]:
        headers = _get(data, "headers", list)
        if not all(isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
                   for pair in headers):
            raise _NotTheMock("`headers` is not a list of [name, value]")
        try:
            body = base64.b64decode(_get(data, "body_base64", str), validate=True)
        except binascii.Error:
            raise _NotTheMock("`body_base64` is not base64") from None
        return {
            "seq": _get(data, "seq", int), "time": float(_get(data, "time", int, float)),
            "method": _get(data, "method", str), "path": _get(data, "path", str), "query": _get(data, "query", str),
            "headers": tuple((name, value) for name, value in headers),
            "body_size": _get(data, "body_size", int), "body_sha256": _get(data, "body_sha256", str),
            "body": body, "body_truncated": _get(data, "body_truncated", bool), "raw": dict(data),
        }


@dataclass(frozen=True, kw_only=True)
class JournalEntry(Message):
    """An inference request as the journal holds it."""

    correlation: str | None
    prefer: str | None
    status: int | None  # what was answered; None while pending and for connection faults
    delay: float | None
    behaviour: dict[str, Any] | None  # the resolved behaviour fields
    error: dict[str, Any] | None  # the 400 (or 413) document, instead of `behaviour`

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> JournalEntry:
        return cls(**cls._common(data), correlation=_get(data, "correlation", str, type(None)),
                   prefer=_get(data, "prefer", str, type(None)), status=_get(data, "status", int, type(None)),
                   delay=_get(data, "delay", int, float, type(None)), behaviour=data.get("behaviour"),
                   error=data.get("error"))


@dataclass(frozen=True, kw_only=True)
class Delivery(Message):
    """A webhook delivery the sink recorded."""

    key: str
    status: int  # what the sink answered

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Delivery:
        return cls(**cls._common(data), key=_get(data, "key", str), status=_get(data, "status", int))


R = TypeVar("R", JournalEntry, Delivery)


@dataclass(frozen=True)
class Page(Generic[R]):
    """One list (or wait) answer: records oldest first, and where the journal (or sink) stands.

    The mock holds exactly the sequence numbers `first_seq..last_seq`;
    `evicted_since` counts the records above the reader's `since` (or
    `after`) that it no longer holds, of every key: above 0, the reader
    missed some (`partial`).
    """

    records: tuple[R, ...]
    last_seq: int
    first_seq: int
    evicted: int
    evicted_since: int
    next_after: int | None  # `after` of the next page; None once this one reached the newest match
    instance: str
    timed_out: bool | None = None  # waits only

    @property
    def partial(self) -> bool:
        return self.evicted_since > 0

    @classmethod
    def parse(cls, data: Any, field_name: str, record: Callable[[Mapping[str, Any]], R], wait: bool) -> Page[R]:
        return cls(
            records=tuple(record(item) for item in _get(data, field_name, list)),
            last_seq=_get(data, "last_seq", int), first_seq=_get(data, "first_seq", int),
            evicted=_get(data, "evicted", int), evicted_since=_get(data, "evicted_since", int),
            next_after=_get(data, "next_after", int, type(None)), instance=_get(data, "instance", str),
            timed_out=_get(data, "timed_out", bool) if wait else None,
        )

    def joined(self, later: Page[R]) -> Page[R]:
        """This page followed by a later one: its records added, the later position kept."""
        return Page(self.records + later.records, later.last_seq, later.first_seq, later.evicted,
                    later.evicted_since, later.next_after, later.instance, later.timed_out)


def sink_url(prefix: str, key: str, fail_first: int | None = None, fail_status: int | None = None) -> str:
    """The sink URL for `key` under `prefix` (`.../_mock/webhooks/`): any key, any character, quoted."""
    query = {name: value for name, value in (("fail-first", fail_first), ("fail-status", fail_status))
             if value is not None}
    return prefix + quote(key, safe="") + (f"?{urlencode(query)}" if query else "")


@dataclass(frozen=True)
class MockInfo:
    """`GET /_mock/info`: which mock this is and what it speaks."""

    instance: str
    version: str
    api: int
    sink: str  # where the mock reaches its own sink, up to the key
    settings: dict[str, Any]

    def sink_url(self, key: str, fail_first: int | None = None, fail_status: int | None = None) -> str:
        """A webhook URL the mock itself delivers to (its own loopback address, whatever
        URL the caller reached it at)."""
        return sink_url(self.sink, key, fail_first, fail_status)

    @classmethod
    def parse(cls, data: Any) -> MockInfo:
        return cls(instance=_get(data, "instance", str), version=_get(data, "version", str),
                   api=_get(data, "api", int), sink=_get(data, "sink", str), settings=_get(data, "settings", dict))


@dataclass(frozen=True)
class Health:
    ready: bool
    ready_in: float | None = None  # seconds until ready, while starting

    @classmethod
    def parse(cls, data: Any) -> Health:
        status = _get(data, "status", str)
        if status not in ("ok", "starting"):
            raise _NotTheMock(f"`status` is {status!r}")
        ready_in = data.get("ready_in")
        return cls(status == "ok", float(ready_in) if isinstance(ready_in, (int, float)) else None)


@dataclass(frozen=True)
class TaskAnswer:
    """`GET /tasks/<id>`: the stored answer once ready, 202 while pending, 404 for an unknown id."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def pending(self) -> bool:
        return self.status == 202 and self._document().get("status") == "pending"

    @property
    def unknown(self) -> bool:
        return self.status == 404 and self._document().get("error") == "unknown task"

    def _document(self) -> dict[str, Any]:
        try:
            data = json.loads(self.body)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class Scenario:
    name: str
    fields: dict[str, Any]  # as the mock normalised them
    created: bool  # False when it replaced one of the same name


# --------------------------------------------------------------------------- one call, I/O aside


@dataclass(frozen=True)
class _Call(Generic[T]):
    method: str
    path: str
    purpose: str
    read: Callable[[httpx.Response, Any], T]  # (response, its JSON document or None) -> result
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    timeout: float | None = None  # None: the httpx client's own
    statuses: tuple[int, ...] = (200,)  # answers that are not a refusal
    raw: bool = False  # the body is not the control API's JSON (GET /tasks/<id>)


def _document(response: httpx.Response) -> Any:
    """The answer's JSON, or _NotTheMock when it is not JSON."""
    content_type = response.headers.get("content-type", "")
    if "json" not in content_type.lower():
        raise _NotTheMock(f"it answered {content_type or 'no Content-Type'}")
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError):
        raise _NotTheMock("its body is not valid JSON") from None


def _refusal(response: httpx.Response, data: Any) -> dict[str, Any] | None:
    """The mock's own error document (`{"error": ..., ...}`), if that is what the answer is.

    Told apart from a gateway's own JSON error (401, an unknown deployment's
    404) by the header every control answer of the mock carries."""
    if INSTANCE_HEADER not in response.headers:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("error"), str) else None


class _Operations:
    """What each operation sends and how its answer reads; `_run` (per flavour) does the I/O."""

    def __init__(self, base: str, headers: Mapping[str, str] | None = None) -> None:
        self.base = base.rstrip("/")
        self.headers = dict(headers or {})

    def _run(self, call: _Call[T]) -> Any:
        raise NotImplementedError

    # -- building and reading, shared by both flavours

    def _request(self, http: httpx.Client | httpx.AsyncClient, call: _Call[Any]) -> httpx.Request:
        params = {name: value for name, value in call.params.items() if value is not None}
        kwargs: dict[str, Any] = {"params": params, "headers": self.headers,
                                  "extensions": {PURPOSE: call.purpose}}
        if call.json is not None:
            kwargs["json"] = call.json
        if call.timeout is not None:
            kwargs["timeout"] = call.timeout
        return http.build_request(call.method, self.base + call.path, **kwargs)

    def _unreachable(self, request: httpx.Request, exc: httpx.HTTPError) -> MockError:
        url = str(request.url)
        return MockError(f"the mock container did not answer {request.method} {url}: {type(exc).__name__}: {exc}",
                         url=url)

    def _read(self, call: _Call[T], request: httpx.Request, response: httpx.Response) -> T:
        url = str(request.url)
        status = response.status_code
        excerpt = _excerpt(response.content)
        where = f"{request.method} {url}"
        if call.raw:
            return call.read(response, None)
        try:
            data = _document(response)
            refusal = _refusal(response, data)
            if status not in call.statuses and refusal is not None:
                detail = "; ".join(f"{k}: {v}" for k, v in refusal.items() if k != "error")
                raise MockError(f"the mock container refused {where}: {status} {refusal['error']}"
                                + (f" ({detail})" if detail else ""),
                                url=url, status=status, excerpt=excerpt, document=refusal)
            if status not in call.statuses:
                raise _NotTheMock(f"it answered {status}")
            return call.read(response, data)
        except _NotTheMock as why:
            hint = " (credentials missing? pass them in `headers`)" if status in (401, 403) else ""
            raise MockError(f"{where}: not a mock container ({why}; status {status}){hint}: {excerpt!r}",
                            url=url, status=status, excerpt=excerpt) from None

    # -- the operations

    def _list(self, kind: str, key: str | None, after: int, limit: int | None, since: int | None) -> _Call[Page]:
        field_name, key_param, record = _KINDS[kind]
        return _Call("GET", f"/_mock/{kind}", f"{kind} of {key}" if key is not None else f"the whole {kind}",
                     lambda r, data: Page.parse(data, field_name, record, wait=False),
                     params={key_param: key, "after": after or None, "limit": limit, "since": since})

    def _wait(self, kind: str, key: str | None, count: int, timeout: float, after: int,
              since: int | None, limit: int | None) -> _Call[Page]:
        field_name, key_param, record = _KINDS[kind]
        timeout = round(max(timeout, 0.0), 3)
        return _Call("GET", f"/_mock/{kind}/wait", f"wait for {count} {kind} record(s) of {key}",
                     lambda r, data: Page.parse(data, field_name, record, wait=True),
                     params={key_param: key, "count": count, "timeout": timeout, "after": after or None,
                             "since": since, "limit": limit},
                     timeout=timeout + WAIT_MARGIN)

    def journal(self, correlation: str | None = None, *, after: int = 0, limit: int | None = None,
                since: int | None = None) -> Page[JournalEntry]:
        """One page of journal entries (of `correlation`, else all) with seq > `after`."""
        return self._run(self._list("journal", correlation, after, limit, since))

    def wait_journal(self, correlation: str | None, count: int = 1, timeout: float = 10.0, *, after: int = 0,
                     since: int | None = None, limit: int | None = None) -> Page[JournalEntry]:
        """Long-poll until `count` entries of `correlation` above `after` exist, or `timeout` s pass
        (then `timed_out` is True and the page holds what there is)."""
        return self._run(self._wait("journal", correlation, count, timeout, after, since, limit))

    def webhooks(self, key: str | None = None, *, after: int = 0, limit: int | None = None,
                 since: int | None = None) -> Page[Delivery]:
        """One page of the sink's deliveries (under `key`, else all) with seq > `after`."""
        return self._run(self._list("webhooks", key, after, limit, since))

    def wait_webhooks(self, key: str | None, count: int = 1, timeout: float = 10.0, *, after: int = 0,
                      since: int | None = None, limit: int | None = None) -> Page[Delivery]:
        return self._run(self._wait("webhooks", key, count, timeout, after, since, limit))

    def sink_url(self, key: str, fail_first: int | None = None, fail_status: int | None = None) -> str:
        """The sink URL for `key` as this client reaches the mock (see MockInfo.sink_url for the
        URL the mock reaches itself at)."""
        return sink_url(self.base + "/_mock/webhooks/", key, fail_first, fail_status)

    def info(self, check_api: bool = True) -> MockInfo:
        """`GET /_mock/info`; refuses (MockError) a mock whose control API version is not this client's."""
        def read(response: httpx.Response, data: Any) -> MockInfo:
            info = MockInfo.parse(data)
            if check_api and info.api != API_VERSION:
                raise MockError(f"the mock container at {self.base} speaks control API {info.api}; this client "
                                f"speaks {API_VERSION} (mock version {info.version})", url=str(response.url),
                                status=response.status_code)
            return info
        return self._run(_Call("GET", "/_mock/info", "which mock this is", read))

    def health(self) -> Health:
        """`GET /health`: ready (200), or starting (503 with `ready_in`)."""
        return self._run(_Call("GET", "/health", "is the mock ready", lambda r, data: Health.parse(data),
                               statuses=(200, 503)))

    def stats(self) -> dict[str, Any]:
        def read(response: httpx.Response, data: Any) -> dict[str, Any]:
            _get(data, "received", int)  # the mock's counters, not some other JSON
            return data
        return self._run(_Call("GET", "/_mock/stats", "the mock's counters", read))

    def reset(self) -> None:
        """Forget everything recorded or registered (records held count as evicted)."""
        return self._run(_Call("POST", "/_mock/reset", "reset the mock", lambda r, data: None))

    def clear_journal(self) -> int:
        """Clear the journal; returns how many entries it held."""
        return self._run(_Call("DELETE", "/_mock/journal", "clear the journal",
                               lambda r, data: _get(data, "cleared", int)))

    def put_scenario(self, name: str, fields: Mapping[str, Any]) -> Scenario:
        def read(response: httpx.Response, data: Any) -> Scenario:
            return Scenario(_get(data, "name", str), _get(data, "fields", dict), response.status_code == 201)
        return self._run(_Call("PUT", f"/_mock/scenarios/{quote(name, safe='')}", f"register scenario {name}",
                               read, json=dict(fields), statuses=(200, 201)))

    def delete_scenario(self, name: str) -> bool:
        """Remove a scenario; False when there was none of that name."""
        def read(response: httpx.Response, data: Any) -> bool:
            if response.status_code == 404:
                if _get(data, "error", str) != "unknown scenario":
                    raise _NotTheMock("a 404 that is not the mock's")
                return False
            return _get(data, "deleted", str) == name
        return self._run(_Call("DELETE", f"/_mock/scenarios/{quote(name, safe='')}", f"remove scenario {name}",
                               read, statuses=(200, 404)))

    def scenarios(self) -> dict[str, dict[str, Any]]:
        return self._run(_Call("GET", "/_mock/scenarios", "registered scenarios",
                               lambda r, data: _get(data, "scenarios", dict)))

    def task(self, task_id: str) -> TaskAnswer:
        """`GET /tasks/<id>` on the mock's inference side (journaled there like any request)."""
        def read(response: httpx.Response, data: Any) -> TaskAnswer:
            headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw)
            return TaskAnswer(response.status_code, headers, response.content)
        return self._run(_Call("GET", f"/tasks/{quote(task_id, safe='')}", f"task {task_id}", read, raw=True))


#: kind -> (the answer's list field, the key's query parameter, how one record reads)
_KINDS: dict[str, tuple[str, str, Callable[[Mapping[str, Any]], Any]]] = {
    "journal": ("entries", "correlation", JournalEntry.parse),
    "webhooks": ("deliveries", "key", Delivery.parse),
}


# --------------------------------------------------------------------------- the two flavours


class MockClient(_Operations):
    """The control API over a caller's `httpx.Client` (blocking: tests, preflight, Locust/gevent)."""

    def __init__(self, http: httpx.Client, base: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(base, headers)
        self.http = http

    def _run(self, call: _Call[T]) -> T:
        request = self._request(self.http, call)
        try:
            response = self.http.send(request)
        except httpx.HTTPError as exc:
            raise self._unreachable(request, exc) from exc
        return self._read(call, request, response)

    def journal_pages(self, correlation: str | None = None, *, after: int = 0, limit: int | None = None,
                      since: int | None = None) -> Iterator[Page[JournalEntry]]:
        """Every page from `after` on; `evicted_since` stays relative to where reading began."""
        return self._pages("journal", correlation, after, limit, since)

    def webhook_pages(self, key: str | None = None, *, after: int = 0, limit: int | None = None,
                      since: int | None = None) -> Iterator[Page[Delivery]]:
        return self._pages("webhooks", key, after, limit, since)

    def journal_all(self, correlation: str | None = None, *, after: int = 0, since: int | None = None) -> Page:
        """Every entry from `after` on, read page by page, as one Page."""
        return _join(self.journal_pages(correlation, after=after, since=since))

    def webhooks_all(self, key: str | None = None, *, after: int = 0, since: int | None = None) -> Page:
        return _join(self.webhook_pages(key, after=after, since=since))

    def _pages(self, kind: str, key: str | None, after: int, limit: int | None, since: int | None) -> Iterator[Page]:
        since = after if since is None else since
        while True:
            page = self._run(self._list(kind, key, after, limit, since))
            yield page
            if page.next_after is None:
                return
            after = page.next_after


class AsyncMockClient(_Operations):
    """The control API over a caller's `httpx.AsyncClient`: every operation is awaited."""

    def __init__(self, http: httpx.AsyncClient, base: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(base, headers)
        self.http = http

    async def _run(self, call: _Call[T]) -> T:
        request = self._request(self.http, call)
        try:
            response = await self.http.send(request)
        except httpx.HTTPError as exc:
            raise self._unreachable(request, exc) from exc
        return self._read(call, request, response)

    def journal_pages(self, correlation: str | None = None, *, after: int = 0, limit: int | None = None,
                      since: int | None = None) -> AsyncIterator[Page[JournalEntry]]:
        return self._pages("journal", correlation, after, limit, since)

    def webhook_pages(self, key: str | None = None, *, after: int = 0, limit: int | None = None,
                      since: int | None = None) -> AsyncIterator[Page[Delivery]]:
        return self._pages("webhooks", key, after, limit, since)

    async def journal_all(self, correlation: str | None = None, *, after: int = 0,
                          since: int | None = None) -> Page:
        return await _join_async(self.journal_pages(correlation, after=after, since=since))

    async def webhooks_all(self, key: str | None = None, *, after: int = 0, since: int | None = None) -> Page:
        return await _join_async(self.webhook_pages(key, after=after, since=since))

    async def _pages(self, kind: str, key: str | None, after: int, limit: int | None,
                     since: int | None) -> AsyncIterator[Page]:
        since = after if since is None else since
        while True:
            page = await self._run(self._list(kind, key, after, limit, since))
            yield page
            if page.next_after is None:
                return
            after = page.next_after


def _join(pages: Iterator[Page]) -> Page:
    result = None
    for page in pages:
        result = page if result is None else result.joined(page)
    assert result is not None  # a reading yields at least one page
    return result


async def _join_async(pages: AsyncIterator[Page]) -> Page:
    result = None
    async for page in pages:
        result = page if result is None else result.joined(page)
    assert result is not None
    return result

