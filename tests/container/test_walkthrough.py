"""The README's author walkthrough: the example containers behind the reference gateway, in all four modes.

The README block is run as written (with G and S pointed at this test's
servers); then each mode is checked precisely over HTTP, including the
synchronous example in the two modes a synchronous container is for.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from conformance.runs.launcher import ManagedServer, python_command
from tests.container.conftest import ROOT, example_server, start_all

MARKER = "<!-- tested by tests/container/test_walkthrough.py"


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    """The webhook example (deployment demo), the sync example (deployment sync), a mock as webhook sink, the gateway."""
    containers = {"webhook": example_server("webhook_container"), "sync": example_server("sync_container"),
                  "sink": ManagedServer(python_command("mock_container", "--port", "{port}"), name="webhook-sink")}
    start_all(containers)
    gateway = ManagedServer(python_command("conformance", "gateway", "--port", "{port}",
                                           "--deployment", f"demo={containers['webhook'].url}",
                                           "--deployment", f"sync={containers['sync'].url}"), name="gateway")
    try:
        gateway.start()
        yield {"gateway": gateway.url, "sink": containers["sink"].url}
    finally:
        gateway.stop()
        for server in containers.values():
            server.stop()


def readme_block() -> str:
    text = (ROOT / "README.md").read_text()
    after = text[text.index(MARKER):]
    return re.search(r"```sh\n(.*?)```", after, re.S).group(1)  # type: ignore[union-attr]


def completed(client: httpx.Client, gateway: str, deployment: str, inference_id: str, timeout: float = 5.0) -> dict:
    """Poll the status route (it has no long-poll) until Completed, at most `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        status = client.get(f"{gateway}/status/{deployment}", headers={"X-Inference-Id": inference_id}).json()
        if status["Status"] == "Completed" or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def delivery_body(client: httpx.Client, sink: str, key: str) -> dict:
    waited = client.get(f"{sink}/_mock/webhooks/wait", params={"key": key, "count": 1, "timeout": 5}).json()
    assert not waited["timed_out"], f"no webhook under {key}"
    return json.loads(base64.b64decode(waited["deliveries"][0]["body_base64"]))


@pytest.mark.skipif(shutil.which("curl") is None, reason="the README block uses curl")
def test_the_readme_block_runs_as_written(servers: dict[str, str]) -> None:
    script = readme_block()
    script = re.sub(r"^G=\S+", f"G={servers['gateway']}", script, count=1, flags=re.M)
    script = re.sub(r"^S=\S+", f"S={servers['sink']}", script, count=1, flags=re.M)
    assert servers["gateway"] in script and servers["sink"] in script
    script = script.replace("python3 -c", f"{sys.executable} -c")
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    out = proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert '{"completion":"You said: hi","tokens":1}' in out                 # synchronous
    assert '{"completion":"You said: later","tokens":1}' in out              # respond-async result
    assert out.count("HTTP/1.1 202") == 2                                      # proxy and container acks
    assert '"key":"demo"' in out and '"timed_out":false' in out                # the proxy's webhook arrived
    assert '{"status":"accepted"}' in out                                      # the container's own answer


def test_all_four_modes_behind_the_reference_gateway(servers: dict[str, str]) -> None:
    gateway, sink = servers["gateway"], servers["sink"]
    json_type = {"Content-Type": "application/json"}
    with httpx.Client(timeout=10) as client:
        sync = client.post(f"{gateway}/demo/generate", headers=json_type, json={"prompt": "one two"})
        assert (sync.status_code, sync.json()) == (200, {"completion": "You said: one two", "tokens": 2})

        accepted = client.post(f"{gateway}/demo/generate", headers={**json_type, "Prefer": "respond-async"},
                               json={"prompt": "later"})
        assert accepted.status_code == 202
        inference_id = accepted.json()["Id"]
        assert completed(client, gateway, "demo", inference_id)["Status"] == "Completed"
        result = client.get(f"{gateway}/result/demo", headers={"X-Inference-Id": inference_id})
        assert (result.status_code, result.json()) == (200, {"completion": "You said: later", "tokens": 1})

        key = f"proxy-{time.monotonic_ns()}"
        proxy = client.post(f"{gateway}/demo/generate", headers={**json_type, "Prefer": "respond-async-proxy"},
                            json={"prompt": "fire and forget", "webhook_url": f"{sink}/_mock/webhooks/{key}"})
        assert (proxy.status_code, proxy.content) == (202, b"")
        assert delivery_body(client, sink, key) == {"completion": "You said: fire and forget", "tokens": 3}

        key = f"container-{time.monotonic_ns()}"
        own = client.post(f"{gateway}/demo/generate", headers={**json_type, "Prefer": "respond-async-container"},
                          json={"prompt": "task", "webhook_url": f"{sink}/_mock/webhooks/{key}"})
        assert (own.status_code, own.json()) == (202, {"status": "accepted"})
        assert own.headers["content-type"] == "application/json"
        assert delivery_body(client, sink, key) == {"completion": "You said: task", "tokens": 1}


def test_the_sync_example_in_the_modes_a_sync_container_is_for(servers: dict[str, str]) -> None:
    gateway = servers["gateway"]
    with httpx.Client(timeout=10) as client:
        sync = client.post(f"{gateway}/sync/generate", json={"prompt": "now"})
        assert (sync.status_code, sync.json()) == (200, {"completion": "You said: now", "tokens": 1})
        accepted = client.post(f"{gateway}/sync/generate", headers={"Prefer": "respond-async"}, json={"prompt": "later"})
        assert accepted.status_code == 202
        inference_id = accepted.json()["Id"]
        assert completed(client, gateway, "sync", inference_id)["Status"] == "Completed"
        result = client.get(f"{gateway}/result/sync", headers={"X-Inference-Id": inference_id})
        assert (result.status_code, result.json()) == (200, {"completion": "You said: later", "tokens": 1})
