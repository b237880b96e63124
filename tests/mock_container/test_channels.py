"""One behaviour model behind four channels: header, query, JSON body, scenario.

Precedence, lowest to highest: scenario < JSON body < query < header.
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.mock_container.helpers import assert_invalid


@pytest.fixture
def scenario(mock):
    """Register a scenario under a fresh name; removed afterwards."""
    names = []

    def register(fields: dict) -> str:
        name = "sc-" + uuid.uuid4().hex[:12]
        response = mock.put_scenario(name, fields)
        assert response.status_code == 201, response.text
        names.append(name)
        return name

    yield register
    for name in names:
        mock.http.delete(f"/_mock/scenarios/{name}")


def send(mock, corr, *, header=None, query=None, body=None, scenario=None):
    """A request setting `status` (and the correlation) through the given channels."""
    headers = {"X-Mock-Correlation": corr}
    params = {}
    document = None
    if header is not None:
        headers["X-Mock-Status"] = str(header)
    if query is not None:
        params["mock-status"] = str(query)
    if body is not None:
        document = {"prompt": "x", "mock": {"status": body}}
    if scenario is not None:
        headers["X-Mock-Scenario"] = scenario
    return mock.post(params=params, headers=headers, content=json.dumps(document).encode() if document else b"")


def test_header_channel(mock, corr):
    assert send(mock, corr, header=201).status_code == 201


def test_query_channel(mock, corr):
    assert send(mock, corr, query=202).status_code == 202


def test_body_channel(mock, corr):
    assert send(mock, corr, body=203).status_code == 203


def test_scenario_channel(mock, corr, scenario):
    name = scenario({"status": 204})
    assert send(mock, corr, scenario=name).status_code == 204


def test_scenario_named_in_query_and_body(mock, corr, scenario):
    name = scenario({"status": 205})
    assert mock.post(params={"mock-scenario": name}).status_code == 205
    assert mock.post(json={"mock": {"scenario": name}}).status_code == 205


def test_precedence_scenario_body_query_header(mock, corr, scenario):
    name = scenario({"status": 210})
    assert send(mock, corr, scenario=name).status_code == 210
    assert send(mock, corr, scenario=name, body=211).status_code == 211
    assert send(mock, corr, scenario=name, body=211, query=212).status_code == 212
    assert send(mock, corr, scenario=name, body=211, query=212, header=213).status_code == 213
    assert send(mock, corr, body=211, header=213).status_code == 213
    assert send(mock, corr, query=212, body=211).status_code == 212


def test_a_higher_channel_replaces_a_whole_field(mock, corr, scenario):
    name = scenario({"headers": {"X-From-Scenario": "s"}, "body": "from scenario"})
    response = mock.post(headers={"X-Mock-Scenario": name, "X-Mock-Headers": '{"X-From-Header": "h"}'})
    assert response.headers["x-from-header"] == "h"
    assert "x-from-scenario" not in response.headers  # replaced, not merged
    assert response.text == "from scenario"  # other scenario fields still apply


def test_journal_shows_resolved_fields_with_their_values(mock, corr, scenario):
    name = scenario({"status": 207, "content-type": "text/x-a"})
    mock.post(params={"mock-delay": "0.01"}, headers={"X-Mock-Scenario": name, "X-Mock-Correlation": corr})
    [entry] = mock.journal(corr)
    assert entry["behaviour"] == {"scenario": name, "status": 207, "content-type": "text/x-a", "delay": 0.01,
                                  "correlation": corr}
    assert entry["status"] == 207


def test_header_names_are_case_insensitive(mock, corr):
    assert mock.get(headers={"x-MOCK-sTaTuS": "208", "X-Mock-Correlation": corr}).status_code == 208


def test_query_values_are_form_decoded(mock, corr):
    response = mock.get("/q?mock-body=hello+w%C3%B6rld%21&other=1")
    assert response.text == "hello wörld!"


def test_correlation_from_each_channel(mock, corr):
    mock.get(params={"mock-correlation": corr + "-q"})
    mock.post(json={"mock": {"correlation": corr + "-b"}})
    assert len(mock.journal(corr + "-q")) == 1
    assert len(mock.journal(corr + "-b")) == 1


@pytest.mark.parametrize("body", [b'[{"mock": {"status": 500}}]', b'{"mock": {"status": 500}', b'"mock"',
                                  b'{"other": {"mock": {"status": 500}}}'])
def test_a_body_that_is_not_a_json_object_with_mock_is_just_a_body(mock, corr, body):
    response = mock.post(content=body, headers={"X-Mock-Correlation": corr})
    assert response.status_code == 200
    assert response.json()["body_size"] == len(body)


def test_body_mock_must_be_an_object(mock, corr):
    assert_invalid(mock.post(json={"mock": [1, 2]}), "mock", "body")


def test_unknown_scenario_is_named(mock, corr):
    body = assert_invalid(mock.get(headers={"X-Mock-Scenario": "never-registered-" + corr[-8:]}), "scenario",
                          "header")
    assert "never-registered" in body["message"]


@pytest.mark.parametrize("channel", ["header", "query", "body"])
def test_invalid_field_names_its_channel(mock, corr, channel):
    if channel == "header":
        response = mock.get(headers={"X-Mock-Status": "abc"})
    elif channel == "query":
        response = mock.get(params={"mock-status": "abc"})
    else:
        response = mock.post(json={"mock": {"status": "abc"}})
    assert_invalid(response, "status", channel)


def test_json_channels_are_strict_about_types(mock, corr):
    assert_invalid(mock.post(json={"mock": {"delay": "1"}}), "delay", "body")
    assert_invalid(mock.post(json={"mock": {"status": True}}), "status", "body")
    assert_invalid(mock.post(json={"mock": {"status": 200.5}}), "status", "body")


def test_same_field_twice_in_one_channel(mock, corr):
    assert_invalid(mock.get("/x?mock-status=201&mock-status=202"), "status", "query")
    assert_invalid(mock.get(headers=[("X-Mock-Status", "201"), ("X-Mock-Status", "202")]), "status", "header")


def test_invalid_request_is_journaled_with_its_error(mock, corr):
    mock.get(headers={"X-Mock-Correlation": corr, "X-Mock-Delay": "-1"})
    [entry] = mock.journal(corr)
    assert entry["status"] == 400
    assert entry["error"]["field"] == "delay"
    assert "behaviour" not in entry


@pytest.mark.parametrize(("field", "value"), [("status", "100"), ("status", "103"), ("fail-status", "199"),
                                              ("status-weights", "100:1"), ("status-weights", "")])
def test_an_interim_status_is_not_an_answer_the_mock_can_give(mock, corr, field, value):
    """A 1xx is an interim answer: a mock that sent one as its final answer would leave the client waiting
    (or, as it did before, end the exchange on `100 Continue` with the body dropped)."""
    response = mock.post(headers={"X-Mock-Correlation": corr, f"X-Mock-{field}": value})
    assert_invalid(response, field, "header")
