"""Item 4 of issue #14: the gateway's text reaches the terminal (and the report files) as text, never as escapes.

tests/hostile/text_gateway.py answers its status route with an OSC 52
clipboard write, a clear screen, a green "ALL REQUIREMENTS PASSED", a
window title and a right-to-left override. The run's console output (the
table, the failure details, the reproduction, pytest's own lines with -v)
must show them as escapes: after rich's own colour codes are removed, no
escape, bell, carriage return or format character is left.
"""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console

from conformance.cli import main
from conformance.reports.console import render, render_text
from conformance.reports.unseen import terminal_safe
from conformance.runs.gateway.run import run_suite
from tests.suite.runner import gateway_cmd

#: rich's own styling (Select Graphic Rendition); anything else starting with ESC came from the gateway
SGR = re.compile(r"\x1b\[[0-9;]*m")


def unseen(text: str) -> set[str]:
    """Characters that act on a terminal instead of showing, beyond rich's colours and plain newlines."""
    return {hex(ord(char)) for char in SGR.sub("", text)
            if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") and char != "\n"}


def test_terminal_safe_shows_what_it_does_not_send() -> None:
    assert terminal_safe("a\x1b]52;c;eA==\x07b\u202ec\r") == "a\\x1b]52;c;eA==\\x07b\\u202ec\\x0d"
    assert terminal_safe("one\ntwo", keep_newlines=True) == "one\ntwo"
    assert terminal_safe("one\ntwo") == "one\\x0atwo"


def test_the_command_line_shows_a_hostile_gateways_text_as_text(tmp_path: Path) -> None:
    """`conformance run -v`: pytest's per-check lines, the table, the details, the reproduction."""
    report, page, junit, summary = (tmp_path / "run.json", tmp_path / "report.html", tmp_path / "junit.xml",
                                    tmp_path / "summary.md")
    result = CliRunner().invoke(main, ["run", "--gateway-cmd", gateway_cmd("tests.hostile.text_gateway:Gateway", other=False),
                                       "-k", "GW-STATUS-01", "--json", str(report), "--html", str(page),
                                       "--junit-xml", str(junit), "--markdown", str(summary), "-v"])
    assert result.exit_code == 1, result.output
    assert "ALL REQUIREMENTS PASSED" in result.output  # the gateway's text is shown...
    assert not unseen(result.output), result.output  # ...as text
    assert "\\u001b]52" in report.read_text(encoding="utf-8")  # the JSON document keeps what the gateway sent
    # the files a reader may print in a terminal (or a browser shows, where a right-to-left override lies)
    for path in (page, junit, summary):
        text = path.read_text(encoding="utf-8")
        assert "ALL REQUIREMENTS PASSED" in text
        assert not unseen(text.replace("\t", " ")), (path.name, unseen(text))


def test_a_colour_terminal_shows_a_hostile_gateways_text_as_text() -> None:
    document = run_suite(gateway_cmd=gateway_cmd("tests.hostile.text_gateway:Gateway", other=False),
                         select=["GW-STATUS-01"])
    buffer = io.StringIO()
    render(document, Console(file=buffer, force_terminal=True, color_system="truecolor", width=160), verbose=True)
    assert "ALL REQUIREMENTS PASSED" in buffer.getvalue()
    assert not unseen(buffer.getvalue()), buffer.getvalue()
    assert not unseen(render_text(document, verbose=True))
