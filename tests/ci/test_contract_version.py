"""The contract is versioned: the changelog agrees with the catalogue, and every report names both versions."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import metadata
from pathlib import Path

import jsonschema
import pytest

from conformance.contract import catalogue, changelog
from conformance.contract.changelog import CHANGELOG, Change
from conformance.reports.json_report import schema
from tests.ci.conftest import invoke

KIT = metadata.version("async-gateway-conformance")


def test_the_catalogue_is_the_newest_release_of_the_changelog() -> None:
    newest = CHANGELOG[-1]
    assert catalogue.VERSION == newest.version
    assert changelog.fingerprint() == newest.fingerprint, (
        f"the catalogue's IDs or levels changed: add a release to conformance/contract/changelog.py saying what, "
        f"set catalogue.VERSION to it, and give it fingerprint={changelog.fingerprint()!r}")


def test_undoing_each_release_gives_the_catalogue_of_the_one_before() -> None:
    levels = {rid: req.level.value for rid, req in catalogue.REQUIREMENTS.items()}
    for newer, older in zip(reversed(CHANGELOG), list(reversed(CHANGELOG))[1:]):
        for entry in reversed(newer.entries):
            if entry.change is Change.ADDED:
                assert levels.pop(entry.id) == entry.level, f"{newer.version}: {entry.id} was not added as {entry.level}"
            elif entry.change is Change.RETIRED:
                assert entry.id not in levels and entry.level, f"{newer.version}: retired {entry.id} needs its level"
                levels[entry.id] = entry.level
            elif entry.change is Change.LEVEL:
                assert levels[entry.id] == entry.level, f"{newer.version}: {entry.id} is not {entry.level}"
                levels[entry.id] = entry.previous_level
            else:
                assert entry.id in levels, f"{newer.version}: re-worded {entry.id} did not exist"
        assert changelog.fingerprint(levels) == older.fingerprint, f"undoing {newer.version} does not give {older.version}"
    assert len(levels) == 59 and sum(rid.startswith("GW-") for rid in levels) == 53  # what 1.0 says it was


def test_versions_grow_and_1_1_records_the_last_turn() -> None:
    keys = [changelog.version_key(release.version) for release in CHANGELOG]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    added = {entry.id: entry.level for entry in changelog.release("1.1").entries if entry.change is Change.ADDED}
    assert added == {"GW-PREF-09": "SHOULD", "GW-SYNC-05": "SHOULD", "CT-MODES-01": "INFO"}
    with pytest.raises(KeyError, match="contract version '9.9' is not in the changelog"):
        changelog.release("9.9")


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("1.0", "1.1", ["1.1"]), ("1.1", "1.0", ["1.1"]), ("1.1", "1.1", []),
    (None, "1.1", ["1.0", "1.1"]), ("1.0", None, ["1.1"]), ("1.0", "not-a-version", ["1.1"]),
])
def test_the_releases_between_two_versions(old: str | None, new: str | None, expected: list[str]) -> None:
    assert [release.version for release in changelog.between(old, new)] == expected


def test_requirements_changes_prints_the_changelog() -> None:
    table = invoke("requirements", "--changes")
    assert table.exit_code == 0
    assert f"Contract {catalogue.VERSION} (this kit's)" in table.text
    for text in ("1.1 (2026-12-01)", "GW-PREF-09", "added (SHOULD)", "CT-MODES-01", "wording changed", "1.0 (2026-11-25)"):
        assert text in table.text
    rows = json.loads(invoke("requirements", "--changes", "--json", "-k", "GW-SYNC").output)
    assert [release["version"] for release in rows] == ["1.1", "1.0"] and rows[0]["current"] is True
    assert [(e["id"], e["change"]) for e in rows[0]["entries"]] == [("GW-SYNC-05", "added"),
                                                                     ("GW-SYNC-01", "wording changed")]
    infos = json.loads(invoke("requirements", "--changes", "--json", "--level", "info").output)
    assert [e["id"] for e in infos[0]["entries"]] == ["CT-MODES-01"]


def test_every_report_carries_the_kit_and_the_contract_version(mock_url: str, tmp_path: Path) -> None:
    files = {name: tmp_path / name for name in ("run.json", "junit.xml", "report.html", "report.md")}
    result = invoke("run", "--gateway", mock_url, "--container-url", mock_url, "-k", "GW-PREF-02",
                    "--json", str(files["run.json"]), "--junit-xml", str(files["junit.xml"]),
                    "--html", str(files["report.html"]), "--markdown", str(files["report.md"]))
    assert result.exit_code == 0, result.output
    assert f"async-gateway-conformance {KIT} · contract {catalogue.VERSION}" in result.text  # the console's first line
    document = json.loads(files["run.json"].read_text())
    assert document["tool"]["version"] == KIT and document["contract"] == {"version": catalogue.VERSION}
    assert document["schema_version"] == "1.2"
    jsonschema.validate(document, schema(), cls=jsonschema.Draft202012Validator)
    suite = ET.parse(files["junit.xml"]).getroot().find("testsuite")
    assert suite is not None
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["kit_version"] == KIT and properties["contract_version"] == catalogue.VERSION
    assert f"async-gateway-conformance {KIT} · contract {catalogue.VERSION}" in files["report.html"].read_text()
    assert f"kit {KIT} · contract {catalogue.VERSION}" in files["report.md"].read_text()
