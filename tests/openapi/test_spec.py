"""openapi.yaml: a valid OpenAPI 3.1 description that agrees with the routes the code serves.

The route lists come from the apps themselves, built in-process: the
reference gateway's Starlette routes and the mock container's control app,
plus the mock's inference side, which answers every other path.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename
from starlette.routing import Route

from conformance.contract import openapi
from conformance.reference import ReferenceGateway
from conformance.reference.config import Deployment, GatewayConfig
from mock_container.app import CONTROL_PREFIX, MockApp
from mock_container.fields import parse_weights
from mock_container.inference import TASKS_PREFIX
from mock_container.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def normalize(path: str) -> str:
    """Starlette's `{path:path}` is OpenAPI's `{path}`."""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


def served(routes: list[Route]) -> set[tuple[str, str]]:
    """(path, METHOD) of every route; HEAD goes with GET (Starlette adds it, RFC 9110 §9.3.2 expects it)."""
    pairs = set()
    for route in routes:
        for method in route.methods or ():
            pairs.add((normalize(route.path), method))
    return _without_implied_head(pairs)


def _without_implied_head(pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(path, method) for path, method in pairs if not (method == "HEAD" and (path, "GET") in pairs)}


def test_the_root_description_is_valid_openapi_3_1() -> None:
    spec, _ = read_from_filename(str(ROOT / "openapi.yaml"))
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_each_api_cut_from_it_is_valid_on_its_own() -> None:
    for document in (openapi.gateway_document(), openapi.mock_document()):
        validate(document)


def test_the_package_ships_the_root_file_unchanged() -> None:
    assert openapi.SPEC_PATH.read_bytes() == (ROOT / "openapi.yaml").read_bytes(), (
        "conformance/contract/openapi.yaml must be a copy of openapi.yaml: cp openapi.yaml conformance/contract/openapi.yaml")


def test_the_gateway_serves_exactly_the_routes_described() -> None:
    gateway = ReferenceGateway(GatewayConfig(deployments=[Deployment("mock", "http://127.0.0.1:9")]))
    described = _without_implied_head(openapi.operations(openapi.gateway_document()))
    assert served(gateway.routes()) == described


def test_the_mock_serves_exactly_the_control_routes_described() -> None:
    app = MockApp(Settings())
    described = {(path, method) for path, method in openapi.operations(openapi.mock_document())
                 if path.startswith(CONTROL_PREFIX) or path == "/health"}
    assert served(app.control.routes) == _without_implied_head(described)


INFERENCE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")


def test_the_mock_inference_side_answers_and_is_described_for_every_method() -> None:
    """Every path outside the control prefix is the inference side (any method); GET /tasks/<id> is reserved on it."""
    described = openapi.operations(openapi.mock_document())
    app = MockApp(Settings())

    async def answers() -> dict[str, int]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock") as client:
            got = {m: (await client.request(m, "/v1/route-check")).status_code for m in INFERENCE_METHODS}
            got["tasks"] = (await client.get(TASKS_PREFIX + "never-issued")).status_code
            return got

    got = asyncio.run(answers())
    assert got == {**dict.fromkeys(INFERENCE_METHODS, 200), "tasks": 404}  # the echo, and an unknown task
    assert len(app.state.journal) == len(INFERENCE_METHODS) + 1  # all journaled: the inference side answered
    for method in INFERENCE_METHODS:
        assert ("/{path}", method) in described
    spec = openapi.load()
    assert spec["webhooks"]["container-task"]["x-path"].startswith(TASKS_PREFIX)
    assert ("/tasks/{task_id}", "GET") in described


def _status_weights_schema() -> dict:
    scenario = openapi.mock_document()["components"]["schemas"]
    return next(schema["properties"]["status-weights"] for schema in scenario.values()
                if "status-weights" in schema.get("properties", {}))


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_every_status_weights_value_the_spec_admits_is_one_the_mock_accepts(data: st.DataObject) -> None:
    """schemathesis's positive-data check sends what the pattern admits: status 0 or all-zero weights got 400."""
    schema = _status_weights_schema()
    value = data.draw(st.from_regex(schema["pattern"]).filter(lambda v: len(v) <= schema["maxLength"]))
    parse_weights(value)


def test_the_status_weights_pattern_refuses_what_the_mock_refuses() -> None:
    pattern = re.compile(_status_weights_schema()["pattern"])
    assert pattern.match("200:0.8,500:0.2") and pattern.match(" 200 : 1 , 503:0")
    for refused in ("", "0:0", "200:0", "200:0,500:0.0", "199:1", "600:1", "200:1e400", "200:-1"):
        assert not pattern.match(refused), refused
        with pytest.raises(ValueError):
            parse_weights(refused)
