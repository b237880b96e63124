"""`conformance diff` and `conformance run --baseline`, on documents of real runs.

The two runs: a mutant whose respond-async 202 has no Location (GW-ASYNC-04
fails) as the base, and the legal variant that gives Status as integers (the
SHOULD GW-STATUS-07 fails) as the new run, each selecting one ID the other
does not. From the real documents alone: fixed, regressed, new ID, removed ID
(both from the selection) and form changed (Status names -> integers).
Hand-edited copies of those real documents add what two runs of one kit
cannot show: a level changed, wording changed, IDs added or retired by a
contract release (given as a changelog), a kit that disagrees with itself,
no longer / now judged. Each such test says what it edits.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from conformance.contract.changelog import Change as Logged
from conformance.contract.changelog import CHANGELOG, Entry, Release
from conformance.reports.diff import Cause, Kind, diff_documents
from conformance.reports.markdown import render_diff_markdown
from tests.ci.conftest import invoke
from tests.suite.runner import gateway_cmd, run_against

NO_LOCATION = "tests.mutants.async_.accept_without_location:Gateway"
INTEGERS = "tests.mutants.legal.integer_status:Gateway"
SHARED = ["GW-ASYNC-04", "GW-STATUS-01", "GW-STATUS-07"]
BASE_SELECT = [*SHARED, "GW-PREF-02"]
NEW_SELECT = [*SHARED, "GW-SYNC-02"]
#: few generated examples: the property checks judge these IDs too, and five examples show each mutant
EXAMPLES = 5


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("diff")
    base = run_against(NO_LOCATION, select=BASE_SELECT, examples=EXAMPLES).to_dict()
    new = run_against(INTEGERS, select=NEW_SELECT, examples=EXAMPLES).to_dict()
    for name, document in (("base", base), ("new", new)):
        (folder / f"{name}.json").write_text(json.dumps(document))
    return {"base": base, "new": new, "folder": folder}


def kinds(diff) -> dict[tuple[str, Kind], Any]:  # type: ignore[no-untyped-def]
    return {(change.id, change.kind): change for change in diff.changes}


def test_the_real_runs_are_what_the_diff_is_about(runs: dict[str, Any]) -> None:
    outcomes = {name: {r["id"]: r["outcome"] for r in runs[name]["requirements"]} for name in ("base", "new")}
    assert outcomes["base"] == {"GW-PREF-02": "passed", "GW-ASYNC-04": "failed", "GW-STATUS-01": "passed",
                                "GW-STATUS-07": "passed"}
    assert outcomes["new"] == {"GW-SYNC-02": "passed", "GW-ASYNC-04": "passed", "GW-STATUS-01": "passed",
                               "GW-STATUS-07": "failed"}
    assert runs["base"]["summary"]["gateway_forms"]["status_encoding"] == "names"
    assert runs["new"]["summary"]["gateway_forms"]["status_encoding"] == "integers"


def test_every_change_between_two_real_runs(runs: dict[str, Any]) -> None:
    diff = diff_documents(runs["base"], runs["new"])
    found = kinds(diff)
    assert set(found) == {("GW-STATUS-07", Kind.REGRESSED), ("GW-ASYNC-04", Kind.FIXED), ("GW-SYNC-02", Kind.NEW_ID),
                          ("GW-PREF-02", Kind.REMOVED_ID), ("GW-STATUS-01", Kind.FORM)}
    regressed = found["GW-STATUS-07", Kind.REGRESSED]
    assert (regressed.before, regressed.after, regressed.cause, regressed.level) == ("passed", "failed", Cause.GATEWAY,
                                                                                     "SHOULD")
    assert "integers" in regressed.why  # the new run's own reason
    assert found["GW-ASYNC-04", Kind.FIXED].cause is Cause.GATEWAY
    form = found["GW-STATUS-01", Kind.FORM]
    assert (form.before, form.after, form.cause) == ("names", "integers", Cause.GATEWAY)
    selected = {"base": " ".join(f"-k {rid}" for rid in BASE_SELECT), "new": " ".join(f"-k {rid}" for rid in NEW_SELECT)}
    for rid, kind, side in (("GW-SYNC-02", Kind.NEW_ID, "base"), ("GW-PREF-02", Kind.REMOVED_ID, "new")):
        change = found[rid, kind]
        assert change.cause is Cause.SELECTION
        assert change.why == f"the {side} run did not select it ({selected[side]})"
    assert [c.kind for c in diff.changes][0] is Kind.REGRESSED  # what fails the gate comes first
    assert diff.exit_code == 1 and not diff.contract_changed and diff.releases == []


def test_the_diff_command_exits_1_on_a_regression_and_0_without(runs: dict[str, Any]) -> None:
    folder: Path = runs["folder"]
    regressed = invoke("diff", str(folder / "base.json"), str(folder / "new.json"), "--markdown", str(folder / "d.md"))
    assert regressed.exit_code == 1, regressed.output
    assert "1 regression(s): GW-STATUS-07 -> FAIL" in regressed.text
    for word in ("regressed", "fixed", "new ID", "removed ID", "form changed", "names -> integers"):
        assert word in regressed.text
    markdown = (folder / "d.md").read_text()
    assert "**1 regression(s)**: GW-STATUS-07" in markdown and "| GW-STATUS-01 | MUST | form changed | names → integers" \
        in markdown
    same = invoke("diff", str(folder / "new.json"), str(folder / "new.json"))
    assert same.exit_code == 0 and "No requirement changed." in same.text
    backwards = invoke("diff", str(folder / "new.json"), str(folder / "base.json"))
    assert backwards.exit_code == 1 and "1 regression(s): GW-ASYNC-04" in backwards.text


def test_a_diff_with_fixes_only_exits_0(runs: dict[str, Any], tmp_path: Path) -> None:
    """Hand-edited: the base run's copy where only GW-ASYNC-04 changed (to passed), against the base."""
    fixed = copy.deepcopy(runs["base"])
    requirement = next(r for r in fixed["requirements"] if r["id"] == "GW-ASYNC-04")
    requirement.update(outcome="passed", failures=[], reason="")
    (tmp_path / "fixed.json").write_text(json.dumps(fixed))
    (tmp_path / "base.json").write_text(json.dumps(runs["base"]))
    result = invoke("diff", str(tmp_path / "base.json"), str(tmp_path / "fixed.json"))
    assert result.exit_code == 0, result.output
    assert "No regression (1 fixed)" in result.text


@pytest.mark.parametrize(("content", "message"), [
    ("not json", "not JSON"),
    ('{"schema_version": "1.2"}', "not a conformance result document (no summary, requirements"),
    ('{"schema_version": "1.2", "summary": {}, "requirements": [{"outcome": "passed"}], "checks": [], "parameters": {}, '
     '"target": {}}', "requirement #0 has no id or outcome"),
])
def test_a_file_that_is_not_a_result_document_exits_2(runs: dict[str, Any], tmp_path: Path, content: str,
                                                       message: str) -> None:
    (tmp_path / "bad.json").write_text(content)
    result = invoke("diff", str(runs["folder"] / "base.json"), str(tmp_path / "bad.json"))
    assert result.exit_code == 2 and message in result.text


def test_a_changed_contract_explains_ids_levels_and_wording(runs: dict[str, Any]) -> None:
    """Hand-edited: base says contract 1.1 and GW-STATUS-07 was a MUST; new says contract 1.2, and a changelog
    release 1.2 (given to the diff) added GW-SYNC-02, retired GW-PREF-02, moved GW-STATUS-07 to SHOULD and
    re-worded GW-ASYNC-04."""
    base, new = copy.deepcopy(runs["base"]), copy.deepcopy(runs["new"])
    base["contract"], new["contract"] = {"version": "1.1"}, {"version": "1.2"}
    next(r for r in base["requirements"] if r["id"] == "GW-STATUS-07")["level"] = "MUST"
    release = Release("1.2", "2027-01-01", "a test release", (
        Entry("GW-SYNC-02", Logged.ADDED, "bodies pass through", level="MUST"),
        Entry("GW-PREF-02", Logged.RETIRED, "folded into GW-PREF-01"),
        Entry("GW-STATUS-07", Logged.LEVEL, "integers are legal now", level="SHOULD", previous_level="MUST"),
        Entry("GW-ASYNC-04", Logged.WORDING, "Location may be relative"),
    ))
    diff = diff_documents(base, new, history=(*CHANGELOG, release))
    found = kinds(diff)
    assert diff.contract_changed and diff.releases == ["1.2"]
    assert found["GW-SYNC-02", Kind.NEW_ID].cause is Cause.CONTRACT
    assert found["GW-SYNC-02", Kind.NEW_ID].why == "contract 1.2: GW-SYNC-02 added (MUST): bodies pass through"
    assert found["GW-PREF-02", Kind.REMOVED_ID].why == "contract 1.2: GW-PREF-02 retired: folded into GW-PREF-01"
    level = found["GW-STATUS-07", Kind.LEVEL]
    assert (level.before, level.after, level.cause) == ("MUST", "SHOULD", Cause.CONTRACT)
    # the regression is still one (it fails the gate), but the reader is told the contract moved under it
    assert found["GW-STATUS-07", Kind.REGRESSED].cause is Cause.CONTRACT
    assert found["GW-ASYNC-04", Kind.WORDING].cause is Cause.CONTRACT
    assert found["GW-ASYNC-04", Kind.FIXED].cause is Cause.CONTRACT
    assert "Location may be relative" in found["GW-ASYNC-04", Kind.FIXED].why
    assert found["GW-STATUS-01", Kind.FORM].cause is Cause.GATEWAY  # the changelog says nothing of it
    assert diff.exit_code == 1
    markdown = render_diff_markdown(diff)
    assert "The contract changed between the runs (releases: 1.2)" in markdown


def test_the_real_changelog_explains_a_run_of_contract_1_0(runs: dict[str, Any]) -> None:
    """Hand-edited: the base run claims contract 1.0; the new run (1.1) carries GW-SYNC-05 and GW-SYNC-01, as
    copies of its GW-SYNC-02 entry renamed (no check of this kit judges GW-SYNC-05 alone yet)."""
    base, new = copy.deepcopy(runs["base"]), copy.deepcopy(runs["new"])
    base["contract"] = {"version": "1.0"}
    template = next(r for r in new["requirements"] if r["id"] == "GW-SYNC-02")
    new["requirements"] += [{**copy.deepcopy(template), "id": rid} for rid in ("GW-SYNC-05", "GW-SYNC-01")]
    base["requirements"].append({**copy.deepcopy(template), "id": "GW-SYNC-01"})
    found = kinds(diff_documents(base, new))
    added = found["GW-SYNC-05", Kind.NEW_ID]
    assert added.cause is Cause.CONTRACT and added.why.startswith("contract 1.1: GW-SYNC-05 added (SHOULD)")
    worded = found["GW-SYNC-01", Kind.WORDING]
    assert worded.cause is Cause.CONTRACT and "unreserved characters" in worded.why
    assert found["GW-SYNC-02", Kind.NEW_ID].cause is Cause.SELECTION  # 1.1 did not touch it


def test_the_same_contract_judged_differently_is_the_kits_doing(runs: dict[str, Any]) -> None:
    """Hand-edited: the base run's kit is 0.0.9 and rates GW-STATUS-07 a MUST; GW-STATUS-01 is missing from it
    although its selection covers it; and GW-ASYNC-04 was not judged (skipped) in the new run."""
    base, new = copy.deepcopy(runs["base"]), copy.deepcopy(runs["new"])
    base["tool"]["version"] = "0.0.9"
    next(r for r in base["requirements"] if r["id"] == "GW-STATUS-07")["level"] = "MUST"
    base["requirements"] = [r for r in base["requirements"] if r["id"] != "GW-STATUS-01"]
    next(r for r in new["requirements"] if r["id"] == "GW-ASYNC-04").update(outcome="skipped", reason="no answer")
    found = kinds(diff_documents(base, new))
    assert found["GW-STATUS-07", Kind.LEVEL].cause is Cause.KIT
    assert found["GW-STATUS-01", Kind.NEW_ID].cause is Cause.KIT
    assert found["GW-ASYNC-04", Kind.NOT_JUDGED].cause is Cause.KIT
    back = kinds(diff_documents(new, base))
    assert back["GW-ASYNC-04", Kind.REGRESSED].before == "skipped"  # not failing before, failing now


def test_run_with_a_baseline_prints_the_changes_and_fails_on_a_regression_only(runs: dict[str, Any],
                                                                               tmp_path: Path) -> None:
    base = str(runs["folder"] / "base.json")
    args = ["-k", "GW-ASYNC-04", "-k", "GW-STATUS-07", "--examples", str(EXAMPLES), "--baseline", base]
    regressed = invoke("run", "--gateway-cmd", gateway_cmd(INTEGERS, other=False), *args,
                       "--markdown", str(tmp_path / "regressed.md"))
    # the run itself passes (GW-STATUS-07 is a SHOULD), but it regressed since the baseline
    assert regressed.exit_code == 1, regressed.output
    assert "-> PASS" in regressed.text and "1 regression(s): GW-STATUS-07 -> FAIL" in regressed.text
    assert "Changes since the baseline" in (tmp_path / "regressed.md").read_text()
    fixed = invoke("run", "--gateway-cmd", gateway_cmd(None, other=False), *args, env={"CONFORMANCE_MARKDOWN":
                                                                                          str(tmp_path / "fixed.md")})
    assert fixed.exit_code == 0, fixed.output
    assert "No regression (1 fixed" in fixed.text
    markdown = (tmp_path / "fixed.md").read_text()
    assert "No regression" in markdown and "| GW-ASYNC-04 | MUST | fixed | failed → passed | gateway |" in markdown


def test_a_baseline_that_is_not_a_result_document_is_refused_before_the_run(tmp_path: Path) -> None:
    (tmp_path / "notes.json").write_text("[1, 2]")
    result = invoke("run", "--gateway-cmd", "false", "--baseline", str(tmp_path / "notes.json"))
    assert result.exit_code == 2
    assert "Invalid value for '--baseline'" in result.text and "not a conformance result document" in result.text
