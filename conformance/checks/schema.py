"""The schema stage: the gateway's answers against openapi.yaml (schemathesis), for gateways in the provider's layout.

The first respond-async submission tells whether the gateway follows the
provider's layout: its StatusPath and ResultPath resolve to
`{base}/status/{deployment}` and `{base}/result/{deployment}` for the
inference base `{base}/{deployment}`. If so, requests generated from the
description of those three operations go to the gateway; if not, the stage
is skipped with the reason (the description has nothing to say about
another layout).

What it judges is only what the contract fixes, mapped to its IDs:

| generated request | the answer must be | ID |
|---|---|---|
| `POST {base}/{deployment}/{path}` with `Prefer: respond-async` (generated path, body, Content-Type) | 202 | GW-ASYNC-01 |
| the same | the `AcceptDocument` schema, `application/json` | GW-ASYNC-02 |
| the same | `X-Inference-Id` (equal to `Id`) | GW-ASYNC-03 |
| the same | `Location` (equal to `ResultPath`) | GW-ASYNC-04 |
| `GET /status/...` with an Id the gateway issued | 200, `application/json`, the `StatusDocument` schema | GW-STATUS-01 |
| `GET /status/...` with a generated Id (any visible ASCII, up to 128) | a 4xx, never a 2xx or a 5xx | GW-STATUS-04 |
| `GET /status/...` without `X-Inference-Id` | a 4xx | GW-STATUS-05 |
| `GET /result/...` with a generated Id, or none | a 4xx, never a 2xx or a 5xx | GW-RESULT-06 |

Error bodies are not judged (the contract does not fix them; the
description's `ErrorDocument` is the reference gateway's), and a generated
Id may get 400 as well as 404: an Id that cannot be an Id is the gateway's
to refuse as malformed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
from hypothesis import strategies as st

from conformance.contract import openapi
from conformance.checks import check
from conformance.checks.context import CheckContext
from conformance.checks.flows import Accepted, submit_async
from conformance.checks.search import Budget, SearchResult, Violation, report, search
from conformance.judge.verdicts import NotApplicable, show

__all__ = ["SCHEMA_IDS", "Layout", "provider_layout", "schema_conformance"]

SCHEMA_IDS = ("GW-ASYNC-01", "GW-ASYNC-02", "GW-ASYNC-03", "GW-ASYNC-04", "GW-STATUS-01", "GW-STATUS-04",
              "GW-STATUS-05", "GW-RESULT-06")
SUBMIT, STATUS, RESULT = "POST /{deployment}/{path}", "GET /status/{deployment}", "GET /result/{deployment}"
#: schemathesis's own headers that say nothing to a gateway
DROPPED_HEADERS = {"x-schemathesis-testcaseid"}


@dataclass(frozen=True)
class Layout:
    base: str  # scheme://host[:port][/prefix], no trailing slash
    deployment: str


def _bare(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def provider_layout(inference_base: str, acc: Accepted) -> Layout | str:
    """The layout when StatusPath and ResultPath are the provider's; else why not."""
    base, _, deployment = inference_base.rstrip("/").rpartition("/")
    want_status, want_result = f"{base}/status/{deployment}", f"{base}/result/{deployment}"
    status, result = _bare(acc.status_url), _bare(acc.result_url)
    if status == want_status and result == want_result:
        return Layout(base, deployment)
    return (f"the gateway does not follow the provider's layout: StatusPath {acc.status_path!r} and ResultPath "
            f"{acc.result_path!r} resolve to {status} and {result}, not {want_status} and {want_result}")


@dataclass(frozen=True)
class SchemaCase:
    operation: str
    case: Any  # a schemathesis Case
    id_kind: str = ""  # "known", "generated" or "absent" on the status and result routes

    def describe(self) -> str:
        headers = {k: v for k, v in (self.case.headers or {}).items() if k.lower() not in DROPPED_HEADERS}
        text = f"{self.case.method} {self.case.formatted_path}"
        if headers:
            text += f" headers {headers!r}"
        if isinstance(self.case.body, (bytes, str, dict, list, int, float, bool)):
            text += f" body {show(self.case.body, 80)}"
        return text + (f" ({self.id_kind} X-Inference-Id)" if self.id_kind else "")

    @property
    def ids(self) -> tuple[str, ...]:
        if self.operation == SUBMIT:
            return ("GW-ASYNC-01", "GW-ASYNC-02", "GW-ASYNC-03", "GW-ASYNC-04")
        if self.operation == RESULT:
            return ("GW-RESULT-06",)
        return {"known": ("GW-STATUS-01",), "generated": ("GW-STATUS-04",), "absent": ("GW-STATUS-05",)}[self.id_kind]


#: what the stage sends, each searched on its own so that every kind gets its share of the examples
KINDS = ((SUBMIT, ""), (STATUS, "known"), (STATUS, "generated"), (STATUS, "absent"), (RESULT, "generated"),
         (RESULT, "absent"))


def schema_cases() -> dict[tuple[str, str], st.SearchStrategy[SchemaCase]]:
    """A strategy per kind of request, from the description's operations."""
    import schemathesis

    schema = schemathesis.openapi.from_dict(openapi.gateway_document())
    ops = {result.ok().label: result.ok() for result in schema.get_all_operations()}
    return {(name, kind): st.builds(SchemaCase, st.just(name), ops[name].as_strategy(), st.just(kind))
            .filter(without_control_characters) for name, kind in KINDS}


def without_control_characters(item: SchemaCase) -> bool:
    """Paths with encoded control characters (`%0A`) are legal URIs, but whether a gateway must forward them
    is not something the contract says (the reference gateway answers 404): not judged here."""
    return not any(ord(c) < 32 or ord(c) == 127 for value in (item.case.path_parameters or {}).values()
                   for c in unquote(str(value)))


class _Judge:
    """Sends each generated case to the gateway and judges its answer against the description."""

    def __init__(self, ctx: CheckContext, layout: Layout, first: Accepted) -> None:
        self.ctx = ctx
        self.layout = layout
        self.known = [first.id]

    def request(self, item: SchemaCase) -> tuple[str, str, list[tuple[str, str]], bytes]:
        case = item.case
        case.path_parameters["deployment"] = self.layout.deployment
        headers = dict(case.headers or {})
        if item.operation == SUBMIT:
            headers["Prefer"] = "respond-async"
            headers.pop("X-Inference-Id", None)  # a generated own Id may be refused as in use (GW-ASYNC-11)
            headers["X-Mock-Correlation"] = self.ctx.correlation("schema")
        elif item.id_kind == "known":
            headers["X-Inference-Id"] = self.known[-1]
        elif item.id_kind == "absent":
            headers.pop("X-Inference-Id", None)
        case.headers = headers
        kwargs = case.as_transport_kwargs(base_url=self.layout.base)
        url = str(httpx.URL(kwargs["url"], params=kwargs.get("params") or None))
        body = json.dumps(kwargs["json"]).encode() if "json" in kwargs else kwargs.get("data") or b""
        sent = [(k, str(v)) for k, v in (kwargs.get("headers") or {}).items() if k.lower() not in DROPPED_HEADERS]
        return kwargs["method"], url, sent, body if isinstance(body, bytes) else str(body).encode()

    async def __call__(self, item: SchemaCase) -> None:
        method, url, headers, body = self.request(item)
        response = await self.ctx.gateway.request(method, url, headers=headers, content=body,
                                                  purpose=f"schema stage: {item.operation}")
        status = response.status_code
        answer = f"{status} {show(response.text, 120)}"
        if item.operation == SUBMIT:
            self.judge_accept(item, response)
        elif item.id_kind == "known":
            if status != 200:
                raise Violation(("GW-STATUS-01",), f"the status of an Id the gateway issued answered {status}",
                                expected=200, actual=answer)
            self.validate(item, response, ("GW-STATUS-01",))
        elif not 400 <= status < 500:
            rid = item.ids[0]
            what = "without X-Inference-Id" if item.id_kind == "absent" else "for an Id the gateway never issued"
            raise Violation((rid,), f"{item.operation.split()[1]} answered {status} {what}",
                            expected="4xx (404 for an unknown Id; 400 for one that cannot be an Id)", actual=answer)

    def judge_accept(self, item: SchemaCase, response: httpx.Response) -> None:
        if response.status_code != 202:
            raise Violation(("GW-ASYNC-01",), f"the respond-async submission was answered {response.status_code}",
                            expected=202, actual=f"{response.status_code} {show(response.text, 120)}")
        self.validate(item, response, ("GW-ASYNC-02",))
        document = response.json()
        self.known.append(document["Id"])
        if response.headers.get_list("x-inference-id") != [document["Id"]]:
            raise Violation(("GW-ASYNC-03",), "the 202's X-Inference-Id is not its Id", expected=document["Id"],
                            actual=response.headers.get_list("x-inference-id") or "absent")
        location = response.headers.get_list("location")
        if location != [document["ResultPath"]] and not (
                len(location) == 1 and httpx.URL(url := str(response.request.url)).join(location[0])
                == httpx.URL(url).join(document["ResultPath"])):
            raise Violation(("GW-ASYNC-04",), "the 202's Location is not its ResultPath",
                            expected=document["ResultPath"], actual=location or "absent")

    def validate(self, item: SchemaCase, response: httpx.Response, rids: tuple[str, ...]) -> None:
        """schemathesis's checks of a documented success: Content-Type, headers, body schema."""
        from schemathesis.core.failures import FailureGroup
        from schemathesis.specs.openapi.checks import (
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
        )

        try:
            item.case.validate_response(response, checks=[content_type_conformance, response_headers_conformance,
                                                           response_schema_conformance])
        except FailureGroup as group:
            failure = group.exceptions[0]
            missing = getattr(failure, "missing_headers", None) or []
            if missing:
                rids = tuple(sorted({"GW-ASYNC-03" if h.lower() == "x-inference-id" else "GW-ASYNC-04" for h in missing}))
            raise Violation(rids, f"the answer does not fit openapi.yaml: {failure.title}",
                            expected=f"{item.operation} as documented", actual=show(failure.message, 300)) from None


@check(*SCHEMA_IDS)
async def schema_conformance(ctx: CheckContext) -> None:
    """Sends requests generated from openapi.yaml (schemathesis) to a gateway in the provider's layout:
    respond-async submissions with generated paths and bodies, status reads of issued, generated and missing
    Ids, result reads of generated and missing Ids.

    Expects the accept and status documents as documented (202, JSON, the
    schema, X-Inference-Id and Location), and a 4xx, never a 2xx or 5xx,
    for Ids the gateway never issued and for no Id at all. A gateway in
    another layout is skipped, with the reason.
    """
    first = await submit_async(ctx, ctx.correlation("schema-layout"), purpose="respond-async submission (layout)")
    layout = provider_layout(ctx.config.gateway, first)
    if isinstance(layout, str):
        raise NotApplicable(f"schema stage skipped: {layout}")
    judge = _Judge(ctx, layout, first)
    budget = Budget.from_config(ctx.config, share=1 / (len(KINDS) - 1))
    results = []
    for (operation, kind), strategy in schema_cases().items():
        name = f"schema_conformance {operation.split()[1].split('/')[1]}{' ' + kind if kind else ''}"
        results.append(await search(ctx, name, strategy, judge, ids_of=SchemaCase.ids.fget, describe=SchemaCase.describe,
                                    budget=budget))
    report(ctx, SearchResult.merged(results), SCHEMA_IDS)
