"""Synchronous mode (GW-SYNC-*): the gateway as a faithful reverse proxy.

The MUST checks send plain paths; encoded reserved characters and empty
segments are GW-SYNC-05's (SHOULD), because legal reverse proxies (nginx
`proxy_pass http://upstream/;`, Starlette's decoded path parameter)
normalise them without breaking any real client.
"""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass

from conformance.checks import check
from conformance.checks.context import CheckContext
from conformance.checks.flows import duplicates_after, one_arrival, request_mismatches, send
from conformance.checks.lag import watching_lag
from conformance.http.recording import record_of
from conformance.judge.verdicts import Blocked, Failure, expect

MiB = 1024 * 1024


def binary_body(size: int, seed: int) -> bytes:
    """`size` bytes that are certainly not UTF-8 (they start with 0xFF 0xFE 0x80)."""
    return b"\xff\xfe\x80" + random.Random(seed).randbytes(size - 3)


async def expect_forwarded_once(ctx: CheckContext, sent, what: str) -> None:  # type: ignore[no-untyped-def]
    """The container got `sent` exactly once and unchanged (method, path, query, body, Content-Type)."""
    entry = await one_arrival(ctx, sent.correlation, ctx.config.request_timeout, what)
    problems = request_mismatches(entry, sent)
    expect(not problems, f"the container got {what} changed: {'; '.join(problems)}",
           expected="the request as sent", actual=entry.describe())
    extra = await duplicates_after(ctx, sent.correlation, 1)
    expect(not extra, f"the container got {what} {1 + len(extra)} times",
           expected="exactly once", actual=f"{1 + len(extra)} times")


@check("GW-SYNC-01")
async def request_reaches_container_unchanged(ctx: CheckContext) -> None:
    """Sends a JSON POST with a query, a GET with a query, and a 1 MiB binary (non-UTF-8) POST, no Prefer.

    Expects the container's journal to show each exactly once with the
    same method, path, query (as decoded pairs, in order), body bytes and
    Content-Type.
    """
    query = [("a", "1"), ("b", "two words"), ("empty", "")]

    async def case(label: str, method: str, path: str, body: bytes, content_type: str | None) -> None:
        with ctx.judge("GW-SYNC-01", case=label):
            sent = await send(ctx, method, path, correlation=ctx.correlation("sync"), body=body,
                              content_type=content_type, query=query, purpose=label)
            await expect_forwarded_once(ctx, sent, label)

    await ctx.all(
        case("JSON POST", "POST", "/v1/generate", b'{"prompt": "hello", "n": 1}', "application/json"),
        case("GET", "GET", "/v1/models/info", b"", None),
        case("1 MiB binary POST", "POST", "/v1/upload/raw", binary_body(MiB, 1), "application/octet-stream"),
    )


@check("GW-SYNC-02")
async def response_reaches_client_unchanged(ctx: CheckContext) -> None:
    """Has the container answer 200 with binary bytes, 404 with JSON and 503 with text.

    Expects the client to get each status code, body bytes and Content-Type unchanged.
    """

    async def case(label: str, status: int, body: bytes, content_type: str) -> None:
        with ctx.judge("GW-SYNC-02", case=label):
            correlation = ctx.correlation("sync")
            sent = await send(
                ctx, "POST", "/v1/generate", correlation=correlation, body=b'{"prompt": "x"}',
                content_type="application/json", purpose=label,
                mock={"status": status, "body_base64": base64.b64encode(body).decode(), "content_type": content_type},
            )
            response = sent.response
            expect(response.status_code == status, f"the client got status {response.status_code}",
                   expected=status, actual=response.status_code)
            expect(response.content == body, "the client got other body bytes than the container's",
                   expected=f"{len(body)} bytes {body[:40]!r}", actual=f"{len(response.content)} bytes {response.content[:40]!r}")
            got_type = response.headers.get("content-type")
            expect(got_type == content_type, "the client got another Content-Type", expected=content_type, actual=got_type)

    await ctx.all(
        case("200 binary", 200, binary_body(300, 2), "application/x-conformance-binary"),
        case("404 JSON", 404, json.dumps({"error": "no such model", "code": 404}).encode(), "application/json"),
        case("503 text", 503, "overloaded, try later \u2013 conformance".encode(), "text/plain; charset=utf-8"),
    )


@check("GW-SYNC-03", heavy=True)
async def other_methods_headers_and_large_bodies(ctx: CheckContext) -> None:
    """Sends PUT, PATCH and DELETE; a custom X- request header; asks for a custom response header; sends 16 MiB.

    Expects each method forwarded unchanged and once, `X-Conformance-Probe`
    at the container, `X-Container-Note` at the client, and the 16 MiB body
    at the container intact with the container's answer relayed.
    """

    async def method_case(method: str, body: bytes, content_type: str | None) -> None:
        with ctx.judge("GW-SYNC-03", case=method):
            sent = await send(ctx, method, "/v1/items/42", correlation=ctx.correlation("sync"), body=body,
                              content_type=content_type, query=[("v", "1")], purpose=method)
            await expect_forwarded_once(ctx, sent, f"the {method} request")

    async def request_header_case() -> None:
        with ctx.judge("GW-SYNC-03", case="custom request header"):
            correlation = ctx.correlation("sync")
            value = f"probe-{correlation}"
            probe = [("X-Conformance-Probe", value)]
            sent = await send(ctx, "POST", "/v1/generate", correlation=correlation, body=b"{}",
                              content_type="application/json", headers=probe, purpose="custom request header")
            entry = await one_arrival(ctx, correlation, ctx.config.request_timeout, "the request")
            problems = request_mismatches(entry, sent, probe)
            expect(not problems, f"the request did not reach the container unchanged: {'; '.join(problems)}",
                   expected=f"X-Conformance-Probe: {value}", actual=entry.header_values("x-conformance-probe") or "absent")

    async def response_header_case() -> None:
        with ctx.judge("GW-SYNC-03", case="custom response header"):
            correlation = ctx.correlation("sync")
            value = f"note-{correlation}"
            sent = await send(ctx, "GET", "/v1/generate", correlation=correlation,
                              mock={"headers": {"X-Container-Note": value}}, purpose="custom response header")
            got = sent.response.headers.get_list("x-container-note")
            expect(got == [value], "the container's custom response header did not reach the client",
                   expected=f"X-Container-Note: {value}", actual=got or "absent")

    async def large_body_case() -> None:
        with ctx.judge("GW-SYNC-03", case="16 MiB body"):
            body = binary_body(16 * MiB, 3)
            sent = await send(ctx, "POST", "/v1/upload/large", correlation=ctx.correlation("sync"), body=body,
                              content_type="application/octet-stream", purpose="16 MiB body",
                              timeout=max(ctx.config.request_timeout, 30.0))
            expect(sent.status == 200, f"the 16 MiB request was answered {sent.status}, not the container's 200",
                   expected=200, actual=sent.status)
            await expect_forwarded_once(ctx, sent, "the 16 MiB request")

    await ctx.all(
        method_case("PUT", b'{"name": "put"}', "application/json"),
        method_case("PATCH", b'{"name": "patch"}', "application/merge-patch+json"),
        method_case("DELETE", b"", None),
        request_header_case(),
        response_header_case(),
        large_body_case(),
    )


STREAM_COUNT = 6
STREAM_INTERVAL = 0.4
#: measurements of one kind of stream before it is left unjudged
STREAM_TRIES = 3
#: a buffered answer leaves the gateway in one write: its pieces reach the client within this many seconds
ONE_BURST = 0.1


@dataclass(frozen=True)
class StreamTiming:
    """When the client got the first and the last piece, in seconds on the container's clock from when the
    container got the request (it cannot have produced its last piece before `produced`)."""

    first: float
    last: float
    produced: float
    #: how late the suite's own loop ran meanwhile: a piece may have waited that long to be read
    lag: float
    reads: int

    @property
    def incremental(self) -> bool:
        """The contract's words: the first piece arrived before the container produced the last one."""
        return self.first < self.produced

    @property
    def buffered(self) -> bool:
        """All pieces in one burst after the container finished, read by a suite that was never late enough to
        have missed earlier pieces: relayed as produced, the first would have come some 2 s before the end,
        and a suite never later than half that would have read it then."""
        return (self.first >= self.produced and self.last - self.first <= max(self.lag, ONE_BURST)
                and self.lag < self.produced / 2)

    def describe(self) -> str:
        return (f"first piece {self.first:.2f} s and last {self.last:.2f} s after the container got the request, "
                f"which produced the last piece no earlier than {self.produced:.2f} s ({self.reads} reads; "
                f"the suite ran up to {self.lag:.2f} s late)")


async def measure_stream(ctx: CheckContext, kind: str, attempt: int) -> StreamTiming:
    produce = (STREAM_COUNT - 1) * STREAM_INTERVAL
    correlation = ctx.correlation(f"stream{attempt}")
    url = ctx.gateway.url("/v1/stream", [("mock-correlation", correlation), ("mock-stream", kind),
                                         ("mock-stream-count", str(STREAM_COUNT)),
                                         ("mock-stream-interval", str(STREAM_INTERVAL))])
    async with watching_lag() as lag:
        streamed = await ctx.gateway.stream("GET", url, headers=[("X-Mock-Correlation", correlation)],
                                            purpose=f"{kind} stream")
    expect(streamed.response.status_code == 200, f"the stream was answered {streamed.response.status_code}",
           expected=200, actual=streamed.response.status_code)
    expect(streamed.chunks, "the stream had an empty body", expected=f"{STREAM_COUNT} pieces", actual="no body")
    entry = await one_arrival(ctx, correlation, ctx.config.request_timeout, "the stream request")
    record = record_of(streamed.response)
    assert record is not None, "a streamed answer that did not come through the recording transport"
    sent = record.started_at - entry.time  # when the client sent it, on the container's clock
    return StreamTiming(sent + streamed.chunks[0][0], sent + streamed.chunks[-1][0], produce, lag.worst,
                        len(streamed.chunks))


@check("GW-SYNC-04")
async def streamed_response_is_incremental(ctx: CheckContext) -> None:
    """Has the container stream 6 pieces 0.4 s apart, as chunked NDJSON and as text/event-stream.

    Expects the first piece at the client before the container produced the
    last one, both read on the container's clock (the journal says when it
    got the request). A gateway that buffers delivers every piece in one
    burst once the container is done. A reading that is neither (the first
    piece after the end, but pieces apart, or later only by as much as the
    suite itself ran late) proves nothing: the stream is measured again, and
    after three such readings it is not judged. Two readings of a burst
    after the end fail it.
    """

    async def case(kind: str) -> None:
        with ctx.judge("GW-SYNC-04", case=kind):
            bursts: list[StreamTiming] = []
            unclear: list[StreamTiming] = []
            for attempt in range(STREAM_TRIES):
                timing = await measure_stream(ctx, kind, attempt)
                if timing.incremental:
                    ctx.note("GW-SYNC-04", f"{kind}: first piece {timing.produced - timing.first:.2f} s before the last was produced")
                    return
                (bursts if timing.buffered else unclear).append(timing)
                if len(bursts) == 2:
                    raise Failure("the whole stream arrived in one burst after the container had produced it: "
                                  "the gateway buffered it", expected="the first piece before the container produced the last",
                                  actual="; ".join(t.describe() for t in bursts))
            raise Blocked(f"not judged: in {STREAM_TRIES} readings the suite could not tell a buffering gateway from "
                          f"a late one: {'; '.join(t.describe() for t in bursts + unclear)}")

    await ctx.all(case("chunked"), case("sse"))


#: GW-SYNC-05: (label, path) pairs, each holding one thing only the grammar of RFC 3986 protects
EDGE_PATHS = (
    ("encoded slash", "/v1/a%2Fb"),
    ("encoded question mark", "/v1/q%3Fx"),
    ("encoded hash", "/v1/h%23x"),
    ("encoded percent", "/v1/p%25x"),
    ("empty segment", "/v1//empty"),
)


@check("GW-SYNC-05")
async def path_reaches_container_as_sent(ctx: CheckContext) -> None:
    """Sends GETs whose paths hold `%2F`, `%3F`, `%23`, `%25` and an empty segment (`//`), one per request.

    Expects the container to get each path as sent (compared after RFC 3986
    normalization, which never turns `%2F` into `/` nor `//` into `/`).
    """

    async def case(label: str, path: str) -> None:
        with ctx.judge("GW-SYNC-05", case=f"{label}: {path}"):
            sent = await send(ctx, "GET", path, correlation=ctx.correlation("edge"), purpose=label)
            entry = await one_arrival(ctx, sent.correlation, ctx.config.request_timeout, f"the request for {path}")
            problems = request_mismatches(entry, sent)
            expect(not problems, f"the container got {path} changed: {'; '.join(problems)}",
                   expected=f"path {sent.path}", actual=entry.describe())

    await ctx.all(*(case(label, path) for label, path in EDGE_PATHS))
