"""One generated exchange: a request, the answer the container is asked to give, and how they compare.

`RelayCase` is what a relay property draws; `send` puts it on the wire
(correlated, the answer's fields in the query or, when large, the body);
`request_problems` and `answer_problems` say how what arrived differs from
what was sent, on the container's side and on the client's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from hypothesis import strategies as st

from conformance.checks.context import CheckContext
from conformance.checks.flows import Sent, mock_query, request_mismatches
from conformance.generate.answers import ContainerAnswer, answers
from conformance.generate.requests import GeneratedRequest, requests
from conformance.checks.instrument import JournalEntry

__all__ = ["RelayCase", "relay_cases", "send", "request_problems", "answer_problems", "header_problems"]


@dataclass(frozen=True)
class RelayCase:
    request: GeneratedRequest
    answer: ContainerAnswer

    @property
    def success(self) -> bool:
        return 200 <= self.answer.status < 300

    def describe(self) -> str:
        return f"{self.request.describe()}; the container answers {self.answer.describe()}"


@st.composite
def relay_cases(draw: st.DrawFn, methods: tuple[str, ...] | None = None, statuses: tuple[int, ...] | None = None,
                headers: bool = True, large: int = 0, edges: bool = False) -> RelayCase:
    """A request and the container's answer to it; with `edges`, paths only GW-SYNC-05 judges too.

    An answer too large for a URL is asked for in the request's JSON body,
    so that request becomes a POST of that body.
    """
    kwargs = {"methods": methods} if methods else {}
    request = draw(requests(headers=headers, edges=edges, **kwargs))
    answer = draw(answers(statuses, large=large) if statuses else answers(large=large))
    if answer.large:
        request = dataclasses.replace(request, method="POST", body=answer.json_body(), content_type="application/json")
    return RelayCase(request, answer)


async def send(ctx: CheckContext, case: RelayCase, *, prefer: str | None = None, purpose: str = "generated request") -> Sent:
    """Send the case's request through the gateway with its path exactly as generated."""
    correlation = ctx.correlation("prop")
    request = case.request
    fields = {} if case.answer.large else case.answer.fields()
    pairs = [*request.query, *mock_query(correlation, **fields)]
    url = ctx.gateway.url(request.path, pairs)
    headers = [("X-Mock-Correlation", correlation), *request.headers]
    if prefer is not None:
        headers.append(("Prefer", prefer))
    if request.content_type is not None:
        headers.append(("Content-Type", request.content_type))
    response = await ctx.gateway.request(request.method, url, headers=headers, content=request.body, purpose=purpose)
    raw = response.request.url.raw_path.decode("ascii")
    on_wire, _, query = raw.partition("?")
    base = urlsplit(ctx.gateway.base).path.rstrip("/")
    return Sent(
        response=response,
        url=str(response.request.url),
        path=on_wire[len(base):] if on_wire.startswith(base) else on_wire,
        query=query,
        method=request.method,
        body=request.body,
        content_type=request.content_type,
        latency=0.0,
        correlation=correlation,
    )


def request_problems(entry: JournalEntry, sent: Sent, custom: Sequence[tuple[str, str]] = ()) -> list[str]:
    """How the request the container got differs from the one sent, custom headers included (the one rule)."""
    return request_mismatches(entry, sent, custom)


def answer_problems(response: httpx.Response, answer: ContainerAnswer) -> list[str]:
    """How the answer the client got differs from the container's (status, body bytes, Content-Type)."""
    problems = []
    if response.status_code != answer.status:
        problems.append(f"status {response.status_code} instead of {answer.status}")
    if response.content != answer.body:
        problems.append(f"a body of {len(response.content)} bytes {response.content[:40]!r} "
                        f"instead of {len(answer.body)} bytes {answer.body[:40]!r}")
    got_type = response.headers.get("content-type")
    if got_type != answer.content_type:
        problems.append(f"Content-Type {got_type!r} instead of {answer.content_type!r}")
    return problems


def header_problems(response: httpx.Response, answer: ContainerAnswer) -> list[str]:
    """The container's custom response headers that did not reach the client unchanged."""
    return [f"header {name} {response.headers.get_list(name)!r} instead of {[value]!r}"
            for name, value in answer.headers if response.headers.get_list(name) != [value]]
