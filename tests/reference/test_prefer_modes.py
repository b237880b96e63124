"""Which mode the gateway applies for each Prefer header (GW-PREF-01..08),
observed from outside: the answer the client gets and what the container saw."""

from __future__ import annotations

import httpx
import pytest

from .harness import Journal, header_values, raw_request

ASYNC, PROXY, CONTAINER, SYNC = "respond-async", "respond-async-proxy", "respond-async-container", "sync"


def observed_mode(response: httpx.Response, entry: dict) -> str:
    """The mode, told from the gateway's answer and the container's view of the request."""
    if response.status_code == 202 and response.content == b"":
        return PROXY
    if response.status_code == 202 and "Id" in response.json():
        return ASYNC
    echo = response.json()
    assert echo["seq"] == entry["seq"]
    return CONTAINER if header_values(entry, "prefer")[-1:] == ["respond-async"] else SYNC


@pytest.mark.parametrize(
    ("lines", "mode"),
    [
        (["respond-async"], ASYNC),  # GW-PREF-01
        (["respond-async-proxy"], PROXY),
        (["respond-async-container"], CONTAINER),
        ([], SYNC),  # GW-PREF-02
        (["wait=5"], SYNC),  # GW-PREF-03
        ([""], SYNC),
        (["  wait=5 ; a=1 \t "], SYNC),  # forwarded without the whitespace around it (RFC 9110 §5.5)
        (["respond-async-containers"], SYNC),  # GW-PREF-04
        (["xrespond-async"], SYNC),
        (["respond-async-"], SYNC),
        (["  respond-async-proxy  "], PROXY),  # GW-PREF-05
        (["Respond-Async"], ASYNC),  # GW-PREF-06
        (["RESPOND-ASYNC-CONTAINER"], CONTAINER),
        (["respond-async, wait=10"], ASYNC),  # GW-PREF-07
        (["respond-async-proxy; foo=bar"], PROXY),
        (["wait=10", "respond-async-container"], CONTAINER),
        (["respond-async-proxy, respond-async"], PROXY),  # GW-PREF-08: the first recognized value wins
    ],
)
def test_mode_selected(base: str, journal: Journal, correlation: str, lines: list[str], mode: str) -> None:
    headers = [("Prefer", line) for line in lines] + [("X-Mock-Correlation", correlation)]
    url, deployment = base.rsplit("/", 1)
    response = raw_request(url, "POST", f"/{deployment}/m", headers, b"{}")  # whitespace kept as written
    (entry,) = journal.wait(correlation)
    assert observed_mode(response, entry) == mode
    if mode == SYNC:
        assert header_values(entry, "prefer") == [line.strip() for line in lines]
    if mode == ASYNC:
        assert not any("respond-async" in value.lower() for value in header_values(entry, "prefer"))  # GW-ASYNC-08
