"""The expected-failures baseline cannot rot: exit codes of every combination, through the real command line.

The "gateway" is the mock container itself: it answers everything
synchronously, so GW-PREF-01 (the async modes are honoured) fails and
GW-PREF-02 (no Prefer is synchronous) passes, in well under a second.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.judge.selection import (
    ExpectedFailures,
    SelectionError,
    load_expected_failures,
    parse_expected_failures,
)
from tests.ci.conftest import invoke

BOTH = ["-k", "GW-PREF-01", "-k", "GW-PREF-02"]

# name -> (file name, file text or None, extra args, env, selection, exit code, what the output says)
CASES = {
    "unlisted failure": (None, None, [], {}, BOTH, 1, "GW-PREF-01"),
    "unlisted pass": (None, None, [], {}, ["-k", "GW-PREF-02"], 0, "PASS"),
    "listed failure": ("xfail.txt", "GW-PREF-01 async modes come next release\n", [], {}, BOTH, 0, "failed (expected)"),
    "listed failure, env var": ("xfail.txt", "GW-PREF-01 later\n", [], {"CONFORMANCE_EXPECTED_FAILURES": "{file}"}, BOTH,
                                0, "failed (expected)"),
    "listed pass (stale)": ("xfail.txt", "GW-PREF-01 later\nGW-PREF-02 fixed since\n", [], {}, BOTH, 1,
                            "GW-PREF-02 now passes: remove it from {file}"),
    "stale, --allow-stale": ("xfail.txt", "GW-PREF-01 later\nGW-PREF-02 fixed since\n", ["--allow-stale"], {}, BOTH, 0,
                             "GW-PREF-02 now passes: remove it from {file} (allowed: --allow-stale)"),
    "stale, CONFORMANCE_ALLOW_STALE": ("xfail.txt", "GW-PREF-02 fixed since\n", [], {"CONFORMANCE_ALLOW_STALE": "1"},
                                       ["-k", "GW-PREF-02"], 0, "GW-PREF-02 now passes"),
    "listed, not selected (not judged: neither excused nor stale)": (
        "xfail.txt", "GW-PREF-01 later\nGW-ASYNC-04 not this run's\n", [], {}, BOTH, 0, "failed (expected)"),
    "YAML, listed failure": ("xfail.yml", "GW-PREF-01: async modes come next release\n", [], {}, BOTH, 0,
                             "failed (expected)"),
    "YAML, every failing check listed": (
        "xfail.yaml", "GW-PREF-01:\n  reason: no async yet\n  checks: [exact_values_select_modes, prefer_property]\n",
        [], {}, BOTH, 0, "failed (expected)"),
    "YAML, one failing check not listed": (
        "xfail.yml", "GW-PREF-01:\n  reason: the exact values only\n  checks: [exact_values_select_modes]\n",
        [], {}, BOTH, 1, "failed (not all listed)"),
    "YAML, stale per-check entry": (
        "xfail.yml", "GW-PREF-01: no async yet\nGW-PREF-02: {reason: was broken, checks: [no_prefer_is_sync]}\n",
        [], {}, BOTH, 1, "GW-PREF-02 now passes: remove it from {file}"),
    "YAML, a list of IDs": ("xfail.yml", "- GW-PREF-01\n", [], {}, BOTH, 0, "failed (expected)"),
    "unknown ID": ("xfail.txt", "GW-PREF-01 ok\nGW-NOPE-01 typo\n", [], {}, BOTH, 2,
                   "{file}, line 2: 'GW-NOPE-01' is not a requirement ID of contract"),
    "unknown ID in YAML": ("xfail.yml", "GW-PREF-99: typo\n", [], {}, BOTH, 2, "'GW-PREF-99' is not a requirement ID"),
    "unknown check name": ("xfail.yml", "GW-PREF-01: {checks: [no_such_check]}\n", [], {}, BOTH, 2,
                           "GW-PREF-01: no check is named 'no_such_check'"),
    "an INFO ID": ("xfail.txt", "GW-PREF-08 which mode wins\n", [], {}, BOTH, 2, "GW-PREF-08 is an INFO requirement"),
    "a container ID in a gateway run": ("xfail.txt", "CT-SYNC-01 not ours\n", [], {}, BOTH, 2,
                                        "CT-SYNC-01 is a container requirement, judged by `conformance container`"),
    "not YAML": ("xfail.yml", "GW-PREF-01: [unclosed\n", [], {}, BOTH, 2, "not valid YAML"),
    "missing file": ("absent.txt", None, [], {}, BOTH, 2, "--expected-failures {file}: No such file or directory"),
}


@pytest.mark.parametrize("case", CASES)
def test_exit_codes_of_every_combination(case: str, mock_url: str, tmp_path: Path) -> None:
    name, text, extra, env, select, code, says = CASES[case]
    args = ["run", "--gateway", mock_url, "--container-url", mock_url, *select, *extra]
    path = tmp_path / name if name else None
    if path is not None and text is not None:
        path.write_text(text)
    env = {key: value.format(file=path) for key, value in env.items()}
    if path is not None and "CONFORMANCE_EXPECTED_FAILURES" not in env:
        args += ["--expected-failures", str(path)]
    result = invoke(*args, env=env)
    assert result.exit_code == code, result.output
    assert " ".join(says.format(file=path).split()) in result.text


def test_the_json_records_the_stale_entry_and_the_file(mock_url: str, tmp_path: Path) -> None:
    listed = tmp_path / "baseline.yml"
    listed.write_text("GW-PREF-01: no async modes yet\nGW-PREF-02: fixed since\n")
    report = tmp_path / "run.json"
    result = invoke("run", "--gateway", mock_url, "--container-url", mock_url, *BOTH, "--expected-failures", str(listed),
                    "--json", str(report), "--markdown", str(tmp_path / "run.md"))
    assert result.exit_code == 1
    document = json.loads(report.read_text())
    assert document["summary"]["unexpected_passes"] == ["GW-PREF-02"] and document["summary"]["allow_stale"] is False
    assert document["summary"]["failed_must"] == []  # nothing of the gateway's fails: only the file is out of date
    assert document["selection"]["expected_failures_file"] == str(listed)
    assert document["selection"]["expected_failures"] == {"GW-PREF-01": "no async modes yet", "GW-PREF-02": "fixed since"}
    markdown = (tmp_path / "run.md").read_text()
    assert "Conformance FAIL: stale expected failures" in markdown
    assert f"GW-PREF-02 now passes: remove it from `{listed}`" in markdown


def test_inside_a_teams_own_pytest_a_stale_entry_fails_the_session(mock_url: str, tmp_path: Path) -> None:
    (tmp_path / "xfail.txt").write_text("GW-PREF-01 no async yet\nGW-PREF-02 fixed since\n")
    command = [sys.executable, "-m", "pytest", "-p", "conformance.runs.plugin", "-p", "no:cacheprovider", "-q",
               "--gateway", mock_url, "--container-url", mock_url, "-k", "exact_values or no_prefer",
               "--conformance-select", "GW-PREF-01", "--conformance-select", "GW-PREF-02",
               "--conformance-expected-failures", "xfail.txt"]
    stale = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    allowed = subprocess.run([*command, "--conformance-allow-stale"], cwd=tmp_path, capture_output=True, text=True,
                             timeout=120, stdin=subprocess.DEVNULL)
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


def test_the_text_form_keeps_its_meaning() -> None:
    parsed = parse_expected_failures("# partial gateway\nGW-SYNC-04  no streaming yet\n\ngw-pref-06\n", "f.txt")
    assert parsed == {"GW-SYNC-04": "no streaming yet", "GW-PREF-06": "listed as an expected failure"}
    assert parsed.source == "f.txt" and not parsed.allow_stale
    with pytest.raises(SelectionError, match="f.txt, line 2: GW-SYNC-04 is listed twice"):
        parse_expected_failures("GW-SYNC-04 a\nGW-SYNC-04 b\n", "f.txt")


def test_yaml_entries_may_name_the_checks_they_excuse() -> None:
    parsed = parse_expected_failures(
        "GW-ASYNC-09: sequential ids until the id service lands\n"
        "GW-STATUS-07:\n  reason: integers until the client migrates\n  checks: status_lifecycle\n"
        "GW-SYNC-04:\n", "f.yml", yaml_form=True)
    assert dict(parsed) == {"GW-ASYNC-09": "sequential ids until the id service lands",
                            "GW-STATUS-07": "integers until the client migrates",
                            "GW-SYNC-04": "listed as an expected failure"}
    assert parsed.excuses("GW-STATUS-07", "status_lifecycle") and not parsed.excuses("GW-STATUS-07", "schema_conformance")
    assert parsed.excuses("GW-ASYNC-09", "any_check") and not parsed.excuses("GW-ASYNC-10", "any_check")
    assert parsed.check_names() == {"status_lifecycle"}


@pytest.mark.parametrize(("text", "message"), [
    ("GW-SYNC-04: {reason: x, owner: me}\n", r"GW-SYNC-04: unknown key\(s\) owner"),
    ("GW-SYNC-04: {checks: [1, 2]}\n", "`checks` must be a list of check names"),
    ("GW-SYNC-04: {reason: [a]}\n", "the reason must be text"),
    ("just a sentence\n", "expected a mapping of requirement IDs to reasons"),
    ("12: a number\n", "12 is not a requirement ID"),
])
def test_a_malformed_yaml_entry_names_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(SelectionError, match=message):
        parse_expected_failures(text, "f.yml", yaml_form=True)


def test_files_that_are_not_short_text_lists_are_refused(tmp_path: Path) -> None:
    binary = tmp_path / "xfail.txt"
    binary.write_bytes(b"\xff\xfe\x00GW")
    with pytest.raises(SelectionError, match="not a UTF-8 text file"):
        load_expected_failures(binary)
    huge = tmp_path / "huge.txt"
    huge.write_text("# filler\n" * 200_000)
    with pytest.raises(SelectionError, match="an expected-failures file is a short list"):
        load_expected_failures(huge)


def test_a_plain_mapping_is_an_expected_failures_baseline_too() -> None:
    baseline = ExpectedFailures.from_mapping({"GW-ASYNC-04": "later"})
    assert baseline == {"GW-ASYNC-04": "later"} and "GW-ASYNC-04" in baseline and len(baseline) == 1
