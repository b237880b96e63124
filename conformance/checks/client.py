"""The target as a check speaks to it: one deployment (or one container), the run's headers, its timeout.

Every request goes through a recording client (conformance.http.recording),
so this class only shapes requests: the extra headers of the run (e.g.
Authorization) on every request to the gateway's own origin unless the
check sets its own, the URL below the base, the per-request timeout. A
request that gets no answer raises `NoAnswer`, a `Failure`: a gateway that
does not answer fails the requirement being judged.

The gateway chooses some URLs itself (StatusPath, ResultPath); with an
`OriginPolicy` the client sends the run's headers only to the gateway's
origins, requests another origin only when the user allowed it (without
those headers), and refuses anything else before it goes out (`ForeignOrigin`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from conformance.http.origins import OriginPolicy
from conformance.http.recording import CHUNKS, PURPOSE, RECORDS, describe_error, record_of
from conformance.http.wire import RAW_HEADERS, resendable
from conformance.judge.verdicts import Blocked, Failure

__all__ = ["GatewayClient", "NoAnswer", "ForeignOrigin", "StreamedResponse", "HeaderList"]

HeaderList = Sequence[tuple[str, str]]


class NoAnswer(Failure):
    """The gateway did not answer a request (connection refused, reset, timeout...)."""


class ForeignOrigin(Blocked):
    """A URL the gateway named lies on an origin the run may not reach (judged by GW-ASYNC-02)."""


@dataclass
class StreamedResponse:
    response: httpx.Response
    body: bytes
    #: (seconds after the request was sent, size) per piece as it arrived
    chunks: list[tuple[float, int]]


class GatewayClient:
    """Requests to one gateway deployment (or one container), recorded in the check's transcript."""

    def __init__(self, http: httpx.AsyncClient, *, base: str, extra_headers: HeaderList = (), timeout: float,
                 target: str = "gateway", policy: OriginPolicy | None = None) -> None:
        self._http = http
        self.base = base.rstrip("/")
        self.extra_headers = list(extra_headers)
        self.timeout = timeout
        self.target = target
        #: None: every request goes to the one target the user named (a container run)
        self.policy = policy

    def refusal(self, url: str, field: str = "the URL") -> str | None:
        """Why `url` would not be requested (another origin, not allowed), or None."""
        return self.policy.refusal(url, field) if self.policy is not None else None

    def url(self, path: str, query: Sequence[tuple[str, str]] = ()) -> str:
        """`{base}/{path}?query`, the query encoded once, in order."""
        url = f"{self.base}/{path.lstrip('/')}"
        if query:
            url += "?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query)
        return url

    def _headers(self, headers: HeaderList | Mapping[str, str] | None, url: str) -> list[tuple[str, str]]:
        """The check's own headers, and the run's where `url` is the gateway's own origin.

        Refuses (`ForeignOrigin`) a URL the policy does not let the run reach, before anything is sent.
        """
        own = list(headers.items()) if isinstance(headers, Mapping) else list(headers or ())
        if self.policy is not None:
            try:
                url = str(httpx.URL(url))  # the origin judged is the one httpx will connect to
            except httpx.InvalidURL:
                pass  # building the request reports it
            refusal = self.policy.refusal(url, "the URL")
            if refusal is not None:
                raise ForeignOrigin(f"not requested: {refusal} (judged by GW-ASYNC-02)")
            if not self.policy.is_own(url):
                return own
        names = {name.lower() for name, _ in own}
        return own + [(name, value) for name, value in self.extra_headers if name.lower() not in names]

    def _build(self, method: str, url: str, headers: HeaderList | Mapping[str, str] | None, content: bytes,
               purpose: str | None, timeout: float | None, **extensions: object) -> httpx.Request:
        request = self._http.build_request(method, url, headers=self._headers(headers, url), content=content,
                                           timeout=timeout or self.timeout)
        request.extensions.update({PURPOSE: purpose, RECORDS: [], **extensions})
        return request

    async def _send(self, request: httpx.Request, *, stream: bool = False, retry: bool = True) -> httpx.Response:
        """Send; NoAnswer when there is no answer.

        A GET or HEAD whose connection closed before any answer, and a
        request of any method whose reused keep-alive connection was reset
        before any answer (the server never read it: ReusedConnectionReset),
        goes once more on a fresh connection (both tries are recorded); a
        gateway that drops it every time still fails. Fresh, not pooled: the
        connection that closed was a keep-alive one the server timed out as
        it was reused, and after a burst every pooled connection is as old as it.
        """
        for attempt in (1, 2):
            try:
                return await self._http.send(request, stream=stream)
            except httpx.HTTPError as exc:
                if attempt == 1 and retry and resendable(request.method, exc):
                    # a request with raw header lines goes out on a connection of its own (conformance.http.wire)
                    request.extensions.setdefault(RAW_HEADERS, [])
                    continue
                raise NoAnswer(
                    f"the gateway gave no answer to {request.method} {request.url}: {describe_error(exc)}",
                    expected="an HTTP response", actual=describe_error(exc),
                    exchanges=[record.seq for record in request.extensions.get(RECORDS, [])],
                ) from None
        raise AssertionError("unreachable")

    async def request(self, method: str, url: str, *, headers: HeaderList | Mapping[str, str] | None = None,
                      content: bytes = b"", purpose: str | None = None, timeout: float | None = None) -> httpx.Response:
        """Send one request; the answer is read whole."""
        return await self._send(self._build(method, url, headers, content, purpose, timeout))

    async def stream(self, method: str, url: str, *, headers: HeaderList | Mapping[str, str] | None = None,
                     content: bytes = b"", purpose: str | None = None) -> StreamedResponse:
        """Like `request`, but note when each piece of the body arrives."""
        request = self._build(method, url, headers, content, purpose, None, **{CHUNKS: True})
        response = await self._send(request, stream=True, retry=False)
        try:
            body = await response.aread()
        except httpx.HTTPError as exc:
            raise NoAnswer(
                f"the gateway gave no complete answer to {method} {request.url}: {describe_error(exc)}",
                expected="an HTTP response", actual=describe_error(exc),
                exchanges=[record.seq for record in request.extensions[RECORDS]],
            ) from None
        finally:
            await response.aclose()
        record = record_of(response)
        chunks = [(chunk.offset, chunk.size) for chunk in (record.chunks or [])] if record else []
        return StreamedResponse(response, body, chunks)

    async def raw(self, method: str, url: str, *, headers: HeaderList, raw_headers: Sequence[tuple[str, bytes]] = (),
                  content: bytes = b"", purpose: str | None = None) -> httpx.Response:
        """Send a request whose `raw_headers` go on the wire exactly as given (conformance.http.wire)."""
        request = httpx.Request(method, url, headers=self._headers(headers, url), content=content,
                                extensions={"timeout": httpx.Timeout(self.timeout).as_dict(), PURPOSE: purpose,
                                            RECORDS: [], RAW_HEADERS: list(raw_headers)})
        return await self._send(request, retry=False)
