"""The delivery rule: a request that may have reached the container is never sent again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpcore
import pytest

from conformance.reference.config import Deployment, GatewayConfig
from conformance.reference.proxy import ForwardRequest, Upstream, UpstreamError

REQUEST = ForwardRequest("POST", b"/x?y=1", [(b"content-type", b"text/plain")], b"body")


class Body:
    """A response body that arrives as a stream, as from a real connection."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.data


class ScriptedPool:
    """Stands in for the connection pool: each request gets the next outcome."""

    def __init__(self, *outcomes: object) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[httpcore.Request] = []

    async def request(self, request: httpcore.Request, pool_timeout: float) -> httpcore.Response:
        self.requests.append(request)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        assert isinstance(outcome, httpcore.Response)
        return outcome

    async def aclose(self) -> None:
        pass


def upstream_with(*pools: ScriptedPool, urls: tuple[str, ...] = ("http://container.invalid:9/base",),
                  **settings: object) -> Upstream:
    """An Upstream whose replicas (one per URL) send through `pools`, in order."""
    deployment = Deployment("mock", urls)
    upstream = Upstream(deployment, GatewayConfig([deployment], **settings))  # type: ignore[arg-type]
    assert len(pools) == len(upstream.replicas)
    for replica, pool in zip(upstream.replicas, pools, strict=True):
        replica.pool = pool  # type: ignore[assignment]
    return upstream


def ok(text: bytes = b"ok") -> httpcore.Response:
    return httpcore.Response(200, content=Body(text))


def test_refused_connections_are_retried_a_bounded_number_of_times() -> None:
    refused = httpcore.ConnectError("refused")
    pool = ScriptedPool(refused, refused, httpcore.Response(200, content=Body(b"ok")))
    response = asyncio.run(upstream_with(pool, connect_retries=2).fetch(REQUEST, 100))
    assert (response.status_code, response.body, len(pool.requests)) == (200, b"ok", 3)
    sent = pool.requests[-1]
    assert (sent.method, sent.url.target) == (b"POST", b"/base/x?y=1")
    assert sent.headers == [(b"host", b"container.invalid:9"), (b"content-type", b"text/plain"),
                            (b"content-length", b"4")]

    pool = ScriptedPool(refused, refused)
    with pytest.raises(UpstreamError) as failed:
        asyncio.run(upstream_with(pool, connect_retries=1).fetch(REQUEST, 100))
    assert (failed.value.status, len(pool.requests)) == (502, 2)


@pytest.mark.parametrize("error", [httpcore.ReadError, httpcore.RemoteProtocolError, httpcore.WriteError])
def test_errors_after_sending_are_never_retried(error: type[Exception]) -> None:
    pool = ScriptedPool(error("gone"), httpcore.Response(200, content=Body(b"duplicate")))
    with pytest.raises(UpstreamError) as broke:
        asyncio.run(upstream_with(pool, connect_retries=5).fetch(REQUEST, 100))
    assert (broke.value.status, len(pool.requests)) == (502, 1)


@pytest.mark.parametrize(("outcome", "status", "words"), [
    (httpcore.ReadTimeout("slow"), 504, "did not answer"),
    (httpcore.ConnectTimeout("slow"), 504, "connecting"),
    (httpcore.Response(200, content=Body(b"x" * 101)), 502, "100 bytes"),
])
def test_timeouts_are_504_and_oversized_answers_502(outcome: object, status: int, words: str) -> None:
    with pytest.raises(UpstreamError) as failed:
        asyncio.run(upstream_with(ScriptedPool(outcome)).fetch(REQUEST, 100))
    assert failed.value.status == status and words in failed.value.message


def test_replicas_take_turns_one_request_each() -> None:
    first, second = ScriptedPool(ok(b"a"), ok(b"c")), ScriptedPool(ok(b"b"), ok(b"d"))
    upstream = upstream_with(first, second, urls=("http://one.invalid:1/p", "http://two.invalid:2"))

    async def four() -> list[bytes]:
        return [(await upstream.fetch(REQUEST, 100)).body for _ in range(4)]

    assert asyncio.run(four()) == [b"a", b"b", b"c", b"d"]
    assert [r.url.target for r in first.requests] == [b"/p/x?y=1"] * 2  # each replica's own prefix and Host
    assert [r.url.target for r in second.requests] == [b"/x?y=1"] * 2
    assert second.requests[0].headers[0] == (b"host", b"two.invalid:2")


def test_a_refused_connection_is_retried_on_the_next_replica() -> None:
    down, up = ScriptedPool(httpcore.ConnectError("refused")), ScriptedPool(ok())
    upstream = upstream_with(down, up, urls=("http://one.invalid:1", "http://two.invalid:2"), connect_retries=1)
    assert asyncio.run(upstream.fetch(REQUEST, 100)).body == b"ok"
    assert (len(down.requests), len(up.requests)) == (1, 1)


@pytest.mark.parametrize("outcome", [httpcore.ConnectError("refused"), httpcore.ReadError("gone"),
                                     httpcore.ReadTimeout("slow"), ok(b"x" * 101)])
def test_errors_never_show_the_url_credentials_or_query(outcome: object) -> None:
    pools = ScriptedPool(outcome, outcome, outcome)
    upstream = upstream_with(pools, urls=("http://user:s3cret@container.invalid:9/base",), connect_retries=0)
    with pytest.raises(UpstreamError) as failed:
        asyncio.run(upstream.fetch(REQUEST, 100))
    assert "s3cret" not in failed.value.message and "user" not in failed.value.message
    assert "'mock'" in failed.value.message
    if not isinstance(outcome, httpcore.ReadTimeout):
        assert "http://container.invalid:9/base" in failed.value.message, failed.value.message
