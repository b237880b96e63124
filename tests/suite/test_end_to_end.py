"""The proof that the suite judges the reference gateway as conforming, the same way every run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest

from conformance.contract import catalogue
from conformance.reports.json_report import schema
from tests.suite.runner import run_against

pytestmark = pytest.mark.slow


def conformance_run(report: Path) -> tuple[subprocess.CompletedProcess[str], dict]:
    """`conformance run` with no target: it starts the mock container and the reference gateway itself."""
    proc = subprocess.run([sys.executable, "-m", "conformance", "run", "--json", str(report)],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    return proc, json.loads(report.read_text()) if report.exists() else {}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[subprocess.CompletedProcess[str], dict]]:
    folder = tmp_path_factory.mktemp("e2e")
    return [conformance_run(folder / f"run{i}.json") for i in (1, 2)]


def test_the_reference_gateway_passes_every_must_and_should(two_runs) -> None:  # type: ignore[no-untyped-def]
    proc, document = two_runs[0]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    outcomes = {r["id"]: r["outcome"] for r in document["requirements"]}
    expected = {req.id: ("observed" if req.level.value == "INFO" else "passed") for req in catalogue.gateway_requirements()}
    assert outcomes == expected
    assert document["summary"]["verdict"] == "pass" and document["target"]["mode"] == "reference"
    assert document["summary"]["gateway_forms"] == {"status_encoding": "names", "failure_visibility": "status code and Error"}
    assert "MUST: 33 passed, 0 failed" in " ".join(proc.stdout.split())


def test_the_verdicts_are_the_same_every_run(two_runs) -> None:  # type: ignore[no-untyped-def]
    (first, one), (second, two) = two_runs
    assert first.returncode == second.returncode == 0
    assert [(r["id"], r["outcome"]) for r in one["requirements"]] == [(r["id"], r["outcome"]) for r in two["requirements"]]


def test_a_real_document_matches_the_shipped_schema_and_records_every_exchange(two_runs) -> None:  # type: ignore[no-untyped-def]
    document = two_runs[0][1]
    jsonschema.validate(document, schema(), cls=jsonschema.Draft202012Validator)
    exchanges = [e for check in document["checks"] for e in check["exchanges"]]
    assert len({e["seq"] for e in exchanges}) == len(exchanges)
    gateway = [e for e in exchanges if e["target"] == "gateway"]
    assert gateway and all(e["response"] or e["error"] for e in gateway)
    large = [e for e in gateway if e["request"]["body"]["size"] == 16 * 1024 * 1024]
    assert large and large[0]["request"]["body"]["binary"] and large[0]["request"]["body"]["text"] is None
    streamed = [e for e in gateway if e["chunks"]]
    assert streamed and all(len(e["chunks"]) > 1 for e in streamed)


def test_legal_variants_pass_and_are_reported_integers_with_strict_failing_only_the_should() -> None:
    """Status as integers is legal (GW-STATUS-01) but not what the provider's client parses (GW-STATUS-07, SHOULD)."""
    document = run_against(options=["--status-encoding", "integers"], select=["GW-STATUS-0", "GW-RESULT-02"],
                           delay=0.5, strict=True)
    outcomes = document.outcomes()
    assert outcomes.pop("GW-STATUS-07") == "failed"
    assert set(outcomes.values()) == {"passed"} and len(outcomes) == 8  # GW-STATUS-01..08 and GW-RESULT-02
    assert document.summary.gateway_forms["status_encoding"] == "integers"
    assert document.summary.exit_code == 1 and document.summary.failed_should == ["GW-STATUS-07"]
    assert document.target.mode == "gateway-cmd"


#: checks that may send a value or path only a grammar decides (the SHOULDs GW-PREF-09 and GW-SYNC-05 judge
#: them); the schema stage's generated paths judge only the accept document, never what reached the container
EDGE_JUDGES = {"prefer": {"grammar_decides_recognition", "prefer_property"},
               "path": {"path_reaches_container_as_sent", "sync_relay_property", "schema_conformance"}}
#: an encoded character that is not unreserved and not part of a UTF-8 sequence, or an empty segment
PATH_EDGE = re.compile(r"%(2[0-9A-Ca-c]|2[Ff]|3[A-Fa-f]|40|5[BDbd]|5[CEce]|60|7[BDbd]|7[Cc]|25)|//")


def test_musts_are_judged_without_the_grammars_edges(two_runs) -> None:  # type: ignore[no-untyped-def]
    """No quoted-string in Prefer and no encoded reserved character or empty segment in a path reaches the
    gateway but from the checks of GW-PREF-09 and GW-SYNC-05 (the property's only in its grammar-edge cases)."""
    document = two_runs[0][1]
    seen = {"prefer": set(), "path": set()}
    for check in document["checks"]:
        for exchange in check["exchanges"]:
            if exchange["target"] != "gateway":
                continue
            prefer = [value for name, value in exchange["request"]["headers"] if name.lower() == "prefer"]
            path = urlsplit(exchange["request"]["url"]).path
            if any('"' in value for value in prefer):
                seen["prefer"].add(check["name"])
                if check["name"] == "prefer_property":
                    assert exchange["case"].startswith("prefer_property grammar edges"), exchange["case"]
            if PATH_EDGE.search(path.split("/", 2)[-1]):
                seen["path"].add(check["name"])
    assert seen["prefer"] <= EDGE_JUDGES["prefer"] and seen["path"] <= EDGE_JUDGES["path"], seen
    assert seen["prefer"] == EDGE_JUDGES["prefer"]  # the edges are judged, under their SHOULD
    assert {"path_reaches_container_as_sent", "sync_relay_property"} <= seen["path"]
