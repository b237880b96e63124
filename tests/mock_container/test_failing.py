"""Failing responses: any status, weighted random statuses, fail-first-K."""

from __future__ import annotations

import uuid

import pytest

from tests.mock_container.helpers import assert_invalid, mock_headers


@pytest.mark.parametrize("status", [200, 201, 299, 400, 404, 418, 429, 500, 502, 503, 599])
def test_any_status_with_any_body(mock, corr, status):
    response = mock.get(headers=mock_headers(correlation=corr, status=status, body=f"body of {status}"))
    assert response.status_code == status
    assert response.text == f"body of {status}"
    assert mock.journal(corr)[0]["status"] == status


@pytest.mark.parametrize("status", [204, 304])
def test_no_body_statuses_send_no_body(mock, corr, status):
    response = mock.get(headers=mock_headers(correlation=corr, status=status, body="ignored"))
    assert response.status_code == status
    assert response.content == b""


def test_status_without_body_echoes(mock, corr):
    response = mock.post(headers=mock_headers(correlation=corr, status=503), content=b"abc")
    assert response.status_code == 503
    assert response.json()["body_size"] == 3


@pytest.mark.parametrize("bad", ["99", "600", "-1", "abc", "200.0", ""])
def test_status_outside_range_or_not_integer(mock, bad):
    assert_invalid(mock.get(headers={"X-Mock-Status": bad}), "status", "header")


def _statuses(mock, corr, count, **fields):
    return [mock.get(headers=mock_headers(correlation=corr, **fields)).status_code for _ in range(count)]


def test_weighted_statuses_are_seeded_and_mixed(mock, corr):
    fields = dict(status_weights="200:0.5,500:0.5", seed=11)
    first = _statuses(mock, corr + "-a", 40, **fields)
    assert first == _statuses(mock, corr + "-b", 40, **fields)
    assert set(first) == {200, 500}
    assert 8 <= first.count(500) <= 32  # 40 fair coin flips (seeded: this sequence is fixed)


def test_zero_weight_never_drawn(mock, corr):
    assert set(_statuses(mock, corr, 30, status_weights="200:0,503:1")) == {503}


@pytest.mark.parametrize("bad", ["200", "200:x", "700:1", "200:-1", "200:0,500:0", "200:inf", ":1"])
def test_invalid_weights(mock, bad):
    assert_invalid(mock.get(headers={"X-Mock-Status-Weights": bad}), "status-weights")


def test_status_and_weights_conflict(mock):
    assert_invalid(mock.get(headers=mock_headers(status=200, status_weights="200:1")), "status-weights")


def test_fail_first_k_per_correlation(mock, corr):
    statuses = _statuses(mock, corr, 5, fail_first=3)
    assert statuses == [503, 503, 503, 200, 200]
    failing = mock.journal(corr)[0]
    assert failing["status"] == 503
    assert _statuses(mock, corr + "-other", 2, fail_first=1, fail_status=500) == [500, 200]


def test_fail_first_body_says_which_call(mock, corr):
    response = mock.get(headers=mock_headers(correlation=corr, fail_first=2))
    assert response.json() == {"error": "fail-first", "call": 1, "fail_first": 2}


def test_fail_first_per_scenario_counts_across_correlations(mock, corr):
    name = "ff-" + uuid.uuid4().hex[:10]
    assert mock.put_scenario(name, {"fail-first": 2, "fail-status": 502, "body": "ok"}).status_code == 201
    seen = [mock.get(headers={"X-Mock-Scenario": name, "X-Mock-Correlation": f"{corr}-{i}"}) for i in range(4)]
    assert [r.status_code for r in seen] == [502, 502, 200, 200]
    assert seen[-1].text == "ok"
    # Registering again restarts the count.
    assert mock.put_scenario(name, {"fail-first": 1, "body": "ok"}).status_code == 200
    assert [mock.get(headers={"X-Mock-Scenario": name}).status_code for _ in range(2)] == [503, 200]
