"""`conformance load` refuses bad input with a clear message and exit 2, and a
run that cannot be judged (target unreachable) ends with exit 2, not a verdict."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.runs.launcher import free_port
from conformance.cli.load import LOCUSTFILE
from conformance.runs.load.report import build_document
from conformance.runs.load.settings import LoadSettings
from conformance.reports.json_report import dumps, schema
from conformance.judge.model import FailureRecord, IdVerdict, Outcome


@pytest.mark.parametrize(("args", "message"), [
    (["--gateway", "http://127.0.0.1:1/mock"], "(--gateway) does not answer"),
    (["--gateway-cmd", "true", "--container-url", "http://127.0.0.1:1"], "not used with --gateway-cmd"),
    (["--container-url", "http://127.0.0.1:1"], "needs --gateway"),
    (["--gateway", "http://10.1.2.3/mock", "--container-url", "http://127.0.0.1:1"], "--allow-remote"),
    (["--mix", "async=50,turbo=50"], "unknown mode 'turbo'"),
    (["--duration", "2d"], "duration"),
    (["--header", "no colon here"], "Name: value"),
    (["--users", "0"], "--users"),
])
def test_bad_input_is_a_usage_error_naming_the_option(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["load", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_an_unreachable_gateway_cannot_be_judged(mock_url: str, tmp_path: Path) -> None:
    json_path = tmp_path / "out.json"
    nowhere = f"http://127.0.0.1:{free_port()}/mock"
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "load", "--gateway", nowhere, "--container-url", mock_url,
         "--duration", "3s", "--json", str(json_path)],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "unreachable" in done.stdout + done.stderr
    assert not json_path.exists()


def test_plain_locust_reads_the_conformance_options_through_the_locustfile(mock_url: str) -> None:
    """`locust -f conformance/runs/load/locustfile.py` is the same run (conformance load only builds its
    command line): its options are parsed and checked there, before any load."""
    done = subprocess.run(
        [sys.executable, "-m", "locust", "-f", LOCUSTFILE, "--headless", "-t", "3s", "--host", "http://127.0.0.1:1/m",
         "--conformance-container-url", mock_url, "--conformance-mix", "async=1,warp=2"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    assert "unknown mode 'warp'" in done.stderr


def _document(outcomes: dict[str, Outcome], strict: bool = False):
    settings = LoadSettings(run_id="r", container_urls=("http://127.0.0.1:1",), strict=strict)
    verdicts = [IdVerdict(rid, outcome, "why", [FailureRecord("why")] if outcome is Outcome.FAILED else [])
                for rid, outcome in outcomes.items()]
    return build_document(verdicts, settings, gateway="http://127.0.0.1:2/m", target_mode="url", started=0.0,
                          duration=1.0, users=8, run={"users": 8})


def test_exit_codes_and_document_are_the_suites() -> None:
    ok = {"GW-LOAD-01": Outcome.PASSED, "GW-LOAD-02": Outcome.PASSED}
    should = {"GW-LOAD-01": Outcome.PASSED, "GW-LOAD-02": Outcome.FAILED}
    must = {"GW-LOAD-01": Outcome.FAILED, "GW-LOAD-02": Outcome.PASSED}
    assert _document(ok).summary.exit_code == 0
    assert _document(should).summary.exit_code == 0
    assert _document(should, strict=True).summary.exit_code == 1
    assert _document(must).summary.exit_code == 1
    assert _document(must).summary.failed_must == ["GW-LOAD-01"]
    document = _document(must)
    assert document.requirement("GW-LOAD-01").failures[0].check == "load"
    assert document.parameters["N"] == 8 and document.parameters["mix"] == "async=60,proxy=15,container=10,sync=15"
    jsonschema.validate(json.loads(dumps(document)), schema(), cls=jsonschema.Draft202012Validator)
