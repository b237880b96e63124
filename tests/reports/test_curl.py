"""curl commands rebuilt from recorded exchanges send the same bytes: checked against the mock container's echo."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess

import pytest

from conformance.reports.curl import curl_command
from conformance.http.redact import REDACTED
from tests.reports.documents import exchange
from tests.reports.tools import require

AWKWARD_TEXT = "it's \"$(echo pwned)\" `id` $HOME\n\tline two; @not-a-file \\ end\n"


def replay(mock_url: str, body: bytes, headers: list[tuple[str, str]], env: dict[str, str] | None = None,
           method: str = "POST") -> dict:
    """Record an exchange as the suite would, rebuild its curl command, run it, read the mock's echo."""
    curl = require("curl")
    recorded = exchange(1, method, f"{mock_url}/v1/echo?x=a%20b&y=%24z", at=0.0, took=0.01, headers=headers, body=body)
    command = curl_command(dataclasses.asdict(recorded), max_time=10)
    assert "# " not in command.splitlines()[-1]
    script = command.replace("curl -sS -i", f"{curl} -sS", 1)
    proc = subprocess.run(["bash", "-c", script], capture_output=True, timeout=30, stdin=subprocess.DEVNULL,
                          env={**os.environ, **(env or {})})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_text_bodies_and_header_values_survive_the_shell(mock_url: str) -> None:
    echo = replay(mock_url, AWKWARD_TEXT.encode(), [("Content-Type", "text/plain"), ("X-Quote", "a'b\"c$HOME `x`")])
    assert echo["body_sha256"] == hashlib.sha256(AWKWARD_TEXT.encode()).hexdigest()
    assert echo["method"] == "POST" and echo["query"] == "x=a%20b&y=%24z"
    headers = dict(echo["headers"])
    assert headers["x-quote"] == "a'b\"c$HOME `x`" and headers["content-type"] == "text/plain"


def test_binary_bodies_are_resent_whole_and_no_content_type_is_invented(mock_url: str) -> None:
    body = bytes(range(256)) * 4
    echo = replay(mock_url, body, [])
    assert echo["body_size"] == len(body) and echo["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert "content-type" not in dict(echo["headers"])


def test_redacted_credentials_come_from_the_environment_and_empty_values_stay_empty(mock_url: str) -> None:
    echo = replay(mock_url, b"", [("Authorization", REDACTED), ("X-Empty", "")], env={"AUTHORIZATION": "Bearer k-42"},
                  method="GET")
    headers = dict(echo["headers"])
    assert headers["authorization"] == "Bearer k-42" and headers["x-empty"] == "" and echo["method"] == "GET"


def test_a_body_the_report_did_not_keep_whole_is_named_not_faked() -> None:
    body = os.urandom(5000)
    big = exchange(1, "POST", "http://127.0.0.1:9/mock/x", at=0.0, took=0.01, headers=[("Content-Type", "application/octet-stream")],
                   body=body)
    command = curl_command(dataclasses.asdict(big))
    assert command.endswith("--data-binary @body.bin")
    assert f"# body.bin: the 5000-byte binary body (sha256 {hashlib.sha256(body).hexdigest()}) is not kept whole" in command


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_kept(method: str) -> None:
    recorded = exchange(1, method, "http://127.0.0.1:9/mock/x", at=0.0, took=0.01, headers=[("Content-Type", "text/plain")],
                        body=b"x" if method != "DELETE" else b"")
    assert f"-X {method} " in curl_command(dataclasses.asdict(recorded))
