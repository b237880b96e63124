"""The field registry: one declaration per field, read by the parser, the
Behaviour dataclass, the encoders clients use, the docs and openapi.yaml."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest

from conformance.contract import openapi
from mock_container.behaviour import Behaviour, BehaviourError
from mock_container.channels import BehaviourParser
from mock_container.fields import FIELDS, encode_headers, encode_query, field_named, webhook_target_refused
from mock_container.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = Settings()


def parser() -> BehaviourParser:
    return BehaviourParser(SETTINGS, {})


def test_behaviour_has_one_attribute_per_field_with_its_default():
    attributes = {f.name: f.default for f in dataclasses.fields(Behaviour)}
    assert set(attributes) == {field.attr for field in FIELDS.values()} | {"fields", "plain", "origin"}
    for field in FIELDS.values():
        assert attributes[field.attr] == field.default, field.name


def test_openapi_describes_exactly_the_registered_fields():
    described = openapi.load()["components"]["schemas"]["BehaviourFields"]["properties"]
    assert set(described) == set(FIELDS) - {"scenario"}  # a scenario cannot name another


def test_the_docs_table_has_a_row_per_field():
    text = (ROOT / "docs" / "mock-container.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([a-z0-9-]+)` \|", text.split("### Rules between fields")[0], re.M))
    assert rows == set(FIELDS)


# --- encoding: what a client sends, and that the mock reads it back --------------------------


def test_encode_query_writes_values_as_the_suite_always_did():
    pairs = encode_query(correlation="c-1", delay=2.5, stream_count=3, json={"a": [1, 2]}, headers={"X-A": "b"},
                         body_base64="AAE=", content_type="text/plain", fault=None, **{"async": "ack"})
    assert pairs == [("mock-correlation", "c-1"), ("mock-delay", "2.5"), ("mock-stream-count", "3"),
                     ("mock-json", '{"a":[1,2]}'), ("mock-headers", '{"X-A":"b"}'), ("mock-body-base64", "AAE="),
                     ("mock-content-type", "text/plain"), ("mock-async", "ack")]


def test_floats_are_written_by_repr_and_integers_as_integers():
    assert encode_query(delay=0.1, webhook_delay=1) == [("mock-delay", "0.1"), ("mock-webhook-delay", "1")]
    assert encode_query(delay=1e-7) == [("mock-delay", "1e-07")]


def test_a_json_value_is_always_json():
    assert encode_query(json="text") == [("mock-json", '"text"')]
    assert encode_query(json=None) == []  # None leaves a field out: JSON null is not sendable by keyword


def test_headers_use_the_header_names():
    assert encode_headers(delay_dist="uniform", on_disconnect="cancel") == [
        ("X-Mock-delay-dist", "uniform"), ("X-Mock-on-disconnect", "cancel")]


def test_python_names_and_wire_names_are_the_same_field():
    assert field_named("delay_dist") is field_named("delay-dist") is FIELDS["delay-dist"]
    assert field_named("async_style") is field_named("async") is FIELDS["async"]
    with pytest.raises(KeyError):
        encode_query(delays=1)
    with pytest.raises(TypeError):
        encode_query(status=True)


SAMPLES = {
    "correlation": "c-9", "delay": 0.25, "delay-dist": "uniform", "delay-max": 0.5, "delay-sigma": 0.4,
    "seed": -7, "status-weights": "200:0.8,500:0.2", "fail-first": 2, "fail-status": 502, "fault": "drip",
    "drip-duration": 0.1, "json": {"x": [1, "é", None]}, "content-type": "text/x; q=1",
    "headers": {"X-Model": "m1"}, "stream": "sse", "stream-count": 3, "stream-interval": 0.01,
    "webhook-url": "http://127.0.0.1:9/_mock/webhooks/k", "webhook-delay": 0.0, "webhook-retries": 1,
    "webhook-backoff": 0.2, "webhook-secret": "s", "async": "task-id", "on-disconnect": "cancel",
}


@pytest.mark.parametrize("channel", ["query", "header"])
def test_every_encoded_field_parses_back_to_its_value(channel):
    if channel == "query":
        behaviour = parser().resolve([], urlencode(encode_query(**SAMPLES)).encode(), b"")
    else:
        items = [(name.lower().encode(), value.encode()) for name, value in encode_headers(**SAMPLES)]
        behaviour = parser().resolve(items, b"", b"")
    assert dict(behaviour.fields) == SAMPLES
    assert behaviour.origin == dict.fromkeys(SAMPLES, channel)


@pytest.mark.parametrize("name, value", [("body", "hé\nllo"), ("body-base64", "AAEC"), ("random-bytes", 10),
                                         ("status", 201)])
def test_the_other_fields_parse_back_too(name, value):
    behaviour = parser().resolve([], urlencode(encode_query(**{name: value})).encode(), b"")
    assert dict(behaviour.fields) == {name: value}


def test_resolved_values():
    b = parser().resolve([], urlencode(encode_query(json={"a": 1}, headers={"X-A": "b"},
                                                    status_weights="200:1")).encode(), b"")
    assert b.json == b'{"a":1}'
    assert b.headers == ((b"x-a", b"b"),)
    assert b.status_weights == ((200, 1.0),)
    assert parser().resolve([], b"mock-body-base64=AAE%3D", b"").body_base64 == b"\x00\x01"


def test_a_registered_scenario_is_resolved_once():
    fields = parser().check_scenario("s1", {"json": {"big": "x" * 100}, "status": 201})
    assert fields == {"json": {"big": "x" * 100}, "status": 201}  # what the control API shows
    assert json.loads(json.dumps(fields)) == fields
    b = BehaviourParser(SETTINGS, {"s1": fields}).resolve([(b"x-mock-scenario", b"s1")], b"", b"")
    assert b.json is fields.resolved["json"]  # not encoded again
    assert b.origin == {"json": "scenario", "status": "scenario", "scenario": "header"}


def test_errors_keep_their_shape():
    with pytest.raises(BehaviourError) as caught:
        parser().resolve([(b"x-mock-delay", b"x")], b"", b"")
    assert caught.value.to_json() == {"error": "invalid behaviour", "field": "delay", "channel": "header",
                                      "message": "must be a number"}


# --- webhook targets --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/_mock/webhooks/k1", "/_mock/webhooks/a/b", "/hook", "/", "", "/_mockery",
                                  "/v1/_mock/reset"])
def test_webhook_targets_allowed(path):
    assert webhook_target_refused(path) is None


@pytest.mark.parametrize("path", ["/_mock/reset", "/_mock/scenarios/x", "/_mock/journal", "/_mock", "/_mock/",
                                  "/_mock/webhooks/", "/%5Fmock/reset", "/_mock%2Freset", "/_mock/webhooks/../reset",
                                  "/_mock/webhooks/%2e%2e/scenarios/x"])
def test_webhook_targets_on_a_control_api_are_refused(path):
    assert "control API" in webhook_target_refused(path)


def test_a_behaviour_asked_alike_is_read_once():
    p = parser()
    first = p.resolve([(b"x-mock-correlation", b"c")], b"mock-delay=0.5&x=1", b"")
    again = p.resolve([(b"x-mock-correlation", b"c")], b"mock-delay=0.5&x=1", b"")
    assert again is first and first.delay == 0.5
    assert p.resolve([(b"x-mock-correlation", b"d")], b"mock-delay=0.5&x=1", b"").correlation == "d"


def test_a_scenario_registered_again_is_read_again():
    scenarios = {}
    p = BehaviourParser(SETTINGS, scenarios)
    scenarios["s"] = p.check_scenario("s", {"status": 201})
    assert p.resolve([(b"x-mock-scenario", b"s")], b"", b"").status == 201
    scenarios["s"] = p.check_scenario("s", {"status": 202})
    assert p.resolve([(b"x-mock-scenario", b"s")], b"", b"").status == 202


def test_large_asks_are_not_kept():
    p = parser()
    body = "b" * 2000
    first = p.resolve([(b"x-mock-body", body.encode())], b"", b"")
    assert p.resolve([(b"x-mock-body", body.encode())], b"", b"") is not first
