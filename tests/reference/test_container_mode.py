"""respond-async-container: relayed with `Prefer: respond-async`, the
container's own answer comes back unchanged (GW-CONT-01..04)."""

from __future__ import annotations

import httpx
import pytest

from .harness import Journal, entry_body, header_values


def test_the_containers_task_id_answer_comes_back(client: httpx.Client, base: str, journal: Journal,
                                                  correlation: str) -> None:
    response = client.post(f"{base}/v1/transcribe?lang=fi", content=b'{"audio": "..."}', headers={
        "Prefer": "respond-async-container", "Content-Type": "application/json",
        "X-Mock-Correlation": correlation, "X-Mock-Async": "task-id"})
    assert response.status_code == 202  # GW-CONT-02: the container's 202, not a gateway document
    assert set(response.json()) == {"task_id"}
    assert response.headers["content-type"] == "application/json"
    assert "x-inference-id" not in response.headers
    (entry,) = journal.wait_none_beyond(correlation, 1, timeout=0.5)  # GW-CONT-04
    assert (entry["method"], entry["path"], entry["query"]) == ("POST", "/v1/transcribe", "lang=fi")  # GW-CONT-01
    assert entry_body(entry) == b'{"audio": "..."}'
    assert header_values(entry, "content-type") == ["application/json"]
    assert header_values(entry, "prefer") == ["respond-async"]


def test_other_preferences_travel_with_respond_async(client: httpx.Client, base: str, journal: Journal,
                                                     correlation: str) -> None:
    client.post(f"{base}/x", headers=[("Prefer", "return=minimal"), ("Prefer", "respond-async-container"),
                                      ("X-Mock-Correlation", correlation)])
    (entry,) = journal.wait(correlation)
    assert header_values(entry, "prefer") == ["return=minimal", "respond-async"]


@pytest.mark.parametrize("status", [400, 409, 500, 503])
def test_container_errors_are_relayed_as_they_are(client: httpx.Client, base: str, correlation: str,
                                                  status: int) -> None:  # GW-CONT-03
    response = client.post(f"{base}/x", headers={
        "Prefer": "respond-async-container", "X-Mock-Correlation": correlation, "X-Mock-Status": str(status),
        "X-Mock-Json": '{"detail": "no"}', "X-Mock-Headers": '{"X-Reason": "because"}'})
    assert (response.status_code, response.json()) == (status, {"detail": "no"})
    assert response.headers["x-reason"] == "because"
