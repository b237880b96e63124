"""The reports of a real run against a broken gateway: JUnit a parser reads, an HTML page a browser renders,
curl reproductions that show the failure again.

One suite run (a selection, against tests/mutants/async_/accept_without_location.py,
which breaks GW-ASYNC-04) is shared by every test here; the mutant keeps
running until the module is done so the reproductions can be replayed.
"""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from junitparser import Error, Failure, JUnitXml, Skipped

from conformance.cli import main
from conformance.runs.launcher import ManagedServer
from conformance.reports.json_report import schema
from tests.reports.tools import chromium, png_size, require
from tests.suite.runner import gateway_cmd

MUTANT = "tests.mutants.async_.accept_without_location"
#: short on purpose (about 3 s): the accept checks, one status lifecycle, fire-and-forget with its webhook
SELECT = ["GW-ASYNC-0", "GW-STATUS-01", "GW-PROXY-0"]
XFAIL_FILE = "# this gateway is known to forward Prefer\nGW-ASYNC-08  we forward Prefer as it came\n"


@dataclass
class Run:
    exit_code: int
    output: str
    document: dict
    junit: Path
    html: Path
    folder: Path
    gateway: str


@pytest.fixture(scope="module")
def run(mock_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    folder = tmp_path_factory.mktemp("reports")
    (folder / "xfail.txt").write_text(XFAIL_FILE)
    server = ManagedServer(gateway_cmd(f"{MUTANT}:Gateway", other=False), name="mutant-gateway",
                           substitutions={"container_url": mock_url}).start()
    try:
        gateway = f"{server.url}/mock"
        args = ["run", "--gateway", gateway, "--container-url", mock_url, "--json", str(folder / "run.json"),
                "--junit-xml", str(folder / "junit.xml"), "--expected-failures", str(folder / "xfail.txt")]
        for prefix in SELECT:
            args += ["-k", prefix]
        result = CliRunner().invoke(main, args, env={"CONFORMANCE_HTML": str(folder / "report.html")})
        document = json.loads((folder / "run.json").read_text())
        yield Run(result.exit_code, result.output, document, folder / "junit.xml", folder / "report.html", folder, gateway)
    finally:
        server.stop()


def test_the_run_fails_on_the_broken_requirement_only_and_flags_the_stale_expected_failure(run: Run) -> None:
    assert run.exit_code == 1, run.output
    failed = {r["id"]: r["reason"] for r in run.document["requirements"] if r["outcome"] == "failed"}
    assert list(failed) == ["GW-ASYNC-04"], failed  # the reasons say what else went wrong
    assert run.document["summary"]["unexpected_passes"] == ["GW-ASYNC-08"]
    assert "JUnit XML report:" in run.output and "HTML report:" in run.output
    assert "reproduce:" in run.output and "curl -sS -i" in run.output  # the console carries it too
    jsonschema.validate(run.document, schema(), cls=jsonschema.Draft202012Validator)


def test_the_json_records_the_container_side_of_every_timeline(run: Run) -> None:
    checks = {c["name"]: c for c in run.document["checks"]}
    entries = [m for c in checks.values() for e in c["exchanges"] for m in e.get("mock_entries") or ()]
    assert {m["kind"] for m in entries} == {"journal", "webhook"}
    # status_lifecycle never reads the journal itself: the lookup after the check recorded its receipt
    lifecycle = [m for e in checks["status_lifecycle"]["exchanges"] for m in e.get("mock_entries") or ()]
    assert lifecycle and all(m["key"].startswith("cf-") and m["time"] > 1.6e9 for m in lifecycle)


def test_junit_parses_with_one_case_per_check_grouped_by_family(run: Run) -> None:
    xml = JUnitXml.fromfile(str(run.junit))
    suites = list(xml)
    cases = [case for suite in suites for case in suite]
    families = list(dict.fromkeys(c["ids"][0].rsplit("-", 1)[0] for c in run.document["checks"]))
    assert [s.name for s in suites] == families and families[0] == "GW-ASYNC" and "GW-PROXY" in families
    assert len(cases) == len(run.document["checks"]) == xml.tests
    names = [case.name for case in cases]
    assert len(set(names)) == len(names)
    for suite in suites:
        for case in suite:
            assert case.classname == f"conformance.{suite.name}"
            ids = re.fullmatch(r"\w+\[(.+)\]", case.name).group(1).split(",")
            assert ids and all(re.fullmatch(r"GW-[A-Z]+-\d\d", rid) for rid in ids)
    failing = {case.name: case for case in cases if any(isinstance(r, Failure) for r in case.result)}
    judged_it = [c for c in run.document["checks"] if any(v["id"] == "GW-ASYNC-04" and v["outcome"] == "failed"
                                                             for v in c["verdicts"])]
    assert sorted(failing) == sorted(f"{c['name']}[{','.join(c['ids'])}]" for c in judged_it)
    failure = next(r for r in failing[next(n for n in failing if n.startswith("submission_accepted["))].result
                   if isinstance(r, Failure))
    assert failure.message == "GW-ASYNC-04 (MUST): the 202 has no Location header"
    assert re.search(r"#\d+ \[gateway\] POST http://127\.0\.0\.1:\d+/mock/v1/generate\?.* -> 202 Accepted", failure.text)
    assert "curl -sS -i" in failure.text and "timeline #" in failure.text and "T_accept = 1 s" in failure.text
    assert not any(isinstance(r, (Error, Skipped)) for case in cases for r in case.result)
    assert xml.failures == len(failing) and xml.errors == 0


def test_junit_follows_the_common_junit_schema(run: Run) -> None:
    """The rules of the JUnit XSD CI systems use (Jenkins' junit-10.xsd), checked by hand."""
    root = ET.parse(run.junit).getroot()
    assert root.tag == "testsuites" and {"name", "tests", "failures", "errors", "time"} <= set(root.attrib)
    for suite in root:
        assert suite.tag == "testsuite"
        assert {"name", "tests", "failures", "errors", "skipped", "time", "timestamp"} <= set(suite.attrib)
        children = [child.tag for child in suite]
        assert children[0] == "properties" and set(children[1:]) == {"testcase"}
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(case.find("failure") is not None for case in cases)
        assert int(suite.get("skipped")) == sum(case.find("skipped") is not None for case in cases)
        for case in cases:
            assert case.get("name") and case.get("classname") and float(case.get("time")) >= 0
            tags = [child.tag for child in case]
            assert tags in (["system-out"], ["failure", "system-out"], ["skipped", "system-out"], ["error", "system-out"])
            for verdict in case.findall("failure") + case.findall("error"):
                assert verdict.get("message")
    assert sum(int(s.get("tests")) for s in root) == int(root.get("tests"))
    system_out = "".join(case.findtext("system-out") for case in root.iter("testcase"))
    assert "GW-ASYNC-08 passed although the expected-failures file lists it" in system_out


def test_the_report_command_renders_the_same_files_from_the_saved_json(run: Run) -> None:
    again = run.folder / "again"
    result = CliRunner().invoke(main, ["report", str(run.folder / "run.json"), "--html", str(again / "r.html"),
                                       "--junit-xml", str(again / "j.xml")])
    assert result.exit_code == 0, result.output
    assert (again / "r.html").read_text() == run.html.read_text()
    assert (again / "j.xml").read_text() == run.junit.read_text()


class _Dom(HTMLParser):
    """The parts of the rendered DOM the tests look at."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, str]] = {}
        self.timelines: list[dict[str, str]] = []
        self.deadlines: list[dict[str, str]] = []
        self.external: list[str] = []
        self._in_shown = False
        self.shown = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "tr" and "data-id" in a:
            self.rows[a["data-id"]] = a
        if tag == "svg" and "timeline" in a.get("class", "").split():
            self.timelines.append(a)
        if "data-deadline" in a:
            self.deadlines.append(a)
        for key in ("src", "href"):
            if key in a and not a[key].startswith("#"):
                self.external.append(f"<{tag} {key}={a[key]}>")
        if tag == "link":
            self.external.append("<link>")
        self._in_shown = a.get("id") == "shown"

    def handle_data(self, data: str) -> None:
        if self._in_shown:
            self.shown += data

    def handle_endtag(self, tag: str) -> None:
        self._in_shown = False


def test_the_html_report_is_self_contained(run: Run) -> None:
    text = run.html.read_text()
    dom = _Dom()
    dom.feed(text)
    assert dom.external == []
    assert not re.search(r"url\(|@import|<script[^>]+src", text)
    assert "default-src 'none'" in text  # and the page forbids itself any fetch


def test_a_headless_browser_renders_the_requirement_table_and_the_timelines(run: Run) -> None:
    proc = chromium("--dump-dom", run.html.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = _Dom()
    dom.feed(proc.stdout)
    requirements = {r["id"]: r for r in run.document["requirements"]}
    assert set(dom.rows) == set(requirements)
    assert dom.rows["GW-ASYNC-04"]["data-outcome"] == "failed" and dom.rows["GW-ASYNC-04"]["data-level"] == "MUST"
    assert dom.rows["GW-ASYNC-01"]["data-outcome"] == "passed"
    # the inline script ran in the browser: the filter counted the rows it shows
    assert dom.shown.strip() == f"{len(requirements)} of {len(requirements)} shown"
    assert len(dom.timelines) >= 5
    assert {d["data-deadline"] for d in dom.deadlines} == {"T_accept", "T_done"}
    assert any("deadline-met" in d["class"] for d in dom.deadlines)
    assert re.search(r'aria-label="timeline of #\d+ POST /mock/v1/jobs \(respond-async-proxy\)', proc.stdout)
    assert "webhook delivered" in proc.stdout and "container received" in proc.stdout


def test_a_screenshot_of_the_report_is_a_real_page(run: Run) -> None:
    shot = run.folder / "report.png"
    proc = chromium("--window-size=1280,2000", f"--screenshot={shot}", run.html.as_uri())
    assert proc.returncode == 0 and shot.exists(), proc.stderr[-2000:]
    assert png_size(shot) == (1280, 2000)
    # a blank or unstyled page compresses to a few KB; this one has a banner, cards, a table and a timeline
    assert shot.stat().st_size > 60_000


def test_the_curl_reproduction_shows_the_failure_again(run: Run) -> None:
    curl = require("curl")
    failures = next(r for r in run.document["requirements"] if r["id"] == "GW-ASYNC-04")["failures"]
    # other checks (the schema stage) may judge GW-ASYNC-04 too; replay the hand-written check's request
    (failure,) = [f for f in failures if f["check"] == "submission_accepted"]
    script = failure["reproduction"]
    assert script in run.html.read_text().replace("&#39;", "'").replace("&#34;", '"').replace("&amp;", "&")
    assert run.gateway in script and "curl -sS -i" in script
    proc = subprocess.run(["bash", "-c", script.replace("curl ", f"{curl} ", 1)], capture_output=True, text=True,
                          timeout=30, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    head, _, body = proc.stdout.replace("\r\n", "\n").partition("\n\n")
    lines = head.lower().splitlines()
    assert lines[0].startswith("http/1.1 202")
    assert any(line.startswith("x-inference-id:") for line in lines)  # the request was taken as respond-async
    assert not any(line.startswith("location:") for line in lines)  # ...and the Location is still missing
    assert json.loads(body)["ResultPath"]  # which the 202 says it should carry
