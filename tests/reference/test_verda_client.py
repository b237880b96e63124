"""The provider's own Python client (`verda`) works against the reference gateway unchanged."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from verda.inference_client import InferenceClient
from verda.inference_client._inference_client import AsyncStatus

from conformance.runs.launcher import ManagedServer

from .harness import Journal, header_values, start_gateway

KEY = "verda-test-key"


@pytest.fixture(scope="module")
def keyed(mock_url: str) -> Iterator[ManagedServer]:
    server = start_gateway(f"my-model={mock_url}", args=("--api-key", KEY))
    yield server
    server.stop()


@pytest.fixture
def inference(keyed: ManagedServer) -> Iterator[InferenceClient]:
    with InferenceClient(inference_key=KEY, endpoint_base_url=f"{keyed.url}/my-model", timeout_seconds=10) as client:
        yield client


def test_run_sync(inference: InferenceClient, journal: Journal, correlation: str) -> None:
    response = inference.run_sync({"prompt": "hi"}, path="generate", headers={"X-Mock-Correlation": correlation})
    assert response.status_code == 200
    echo = response.output()
    assert (echo["method"], echo["path"], echo["prefer"]) == ("POST", "/generate", None)
    (entry,) = journal.wait(correlation)
    assert header_values(entry, "content-type") == ["application/json"]


def test_run_with_status_polling_and_result(inference: InferenceClient, journal: Journal, correlation: str) -> None:
    execution = inference.run({"prompt": "later"}, path="generate",
                              headers={"X-Mock-Correlation": correlation, "X-Mock-Delay": "0.5"})
    assert execution.status() is AsyncStatus.Initialized
    seen = []
    deadline = time.monotonic() + 10
    while execution.status() is not AsyncStatus.Completed:
        assert time.monotonic() < deadline, f"not Completed after 10 s: {seen}"
        seen.append(execution.status_json()["Status"])  # parses Status into AsyncStatus, fails on anything else
        time.sleep(0.05)  # bounded polling, as the client's users do
    result = execution.result()
    (entry,) = journal.wait(correlation)
    assert result["seq"] == entry["seq"] and result["path"] == "/generate"
    assert entry["prefer"] is None  # the container never sees respond-async in this mode
    assert seen[-1] == "Completed"


def test_run_no_response(inference: InferenceClient, journal: Journal, correlation: str) -> None:
    assert inference.run({"prompt": "fire"}, path="hook", headers={"X-Mock-Correlation": correlation},
                         no_response=True) is None
    (entry,) = journal.wait(correlation)
    assert (entry["path"], entry["prefer"]) == ("/hook", "respond-async")
