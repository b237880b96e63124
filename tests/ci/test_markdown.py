"""The Markdown report: what a pull request or a CI step summary shows; bounded, and safe with hostile text.

Rendered with markdown-it (CommonMark with tables and raw HTML on, as GitHub
renders comments) to check what a reader would really see.
"""

from __future__ import annotations

import copy
import json
import re

from markdown_it import MarkdownIt

from conformance.reports.diff import diff_documents
from conformance.reports.markdown import MAX_CHARS, code_block, code_span, render_markdown
from tests.reports.documents import document, journal, record, submission, verdict

HOSTILE = "</details><script>alert(1)</script> ```` @octocat | [x](javascript:alert(2)) <img src=x onerror=alert(3)>"


def html_of(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


def failing_document() -> dict:
    """GW-ASYNC-03 fails (no header, shown with a curl reproduction); GW-ASYNC-08 (SHOULD) fails; GW-ASYNC-01 passes."""
    checks = [
        record("submission_accepted", [verdict("GW-ASYNC-01", "passed"),
                                       verdict("GW-ASYNC-03", "failed", "the 202 has no X-Inference-Id header",
                                               exchanges=[1], expected="X-Inference-Id: <the Id>", actual="absent")],
               [submission(1, "c-1", "id-1"), journal(2, "c-1", at=0.1, received=0.05)]),
        record("prefer_not_forwarded", [verdict("GW-ASYNC-08", "failed", "Prefer reached the container", exchanges=[3])],
               [submission(3, "c-2", "id-2")]),
    ]
    return document(checks)


def test_summary_versions_and_what_broke_with_its_reproduction() -> None:
    markdown = render_markdown(failing_document())
    assert markdown.startswith("## Conformance FAIL: GW-ASYNC-03\n")
    assert "kit 0.1.0 · contract 1.1" in markdown
    assert "| MUST | 1 | 1 | 0 | 0 | 0 |" in markdown and "| SHOULD | 0 | 1 | 0 | 0 | 0 |" in markdown
    broke = markdown.split("### What broke", 1)[1]
    assert broke.index("GW-ASYNC-03 (MUST, fails the run)") < broke.index("GW-ASYNC-08 (SHOULD, does not fail the run without --strict)")
    assert "- **failed:** the 202 has no X\\-Inference\\-Id header".replace("\\-", "-") in markdown
    html = html_of(markdown)
    assert "<summary>reproduce with curl</summary>" in html
    assert "curl -sS -i" in html.split("<summary>reproduce with curl</summary>", 1)[1]
    assert "<pre><code class=\"language-sh\">" in html
    assert "Changes since the baseline" not in markdown


def test_the_diff_is_shown_when_there_is_a_baseline() -> None:
    new = failing_document()
    base = copy.deepcopy(new)
    next(r for r in base["requirements"] if r["id"] == "GW-ASYNC-03").update(outcome="passed", failures=[])
    markdown = render_markdown(new, diff_documents(base, new))
    assert "### Changes since the baseline: 1 regressed" in markdown
    assert "| GW-ASYNC-03 | MUST | regressed | passed → failed | gateway |" in markdown


def test_hostile_text_cannot_break_out_or_mention_anyone() -> None:
    doc = failing_document()
    requirement = next(r for r in doc["requirements"] if r["id"] == "GW-ASYNC-03")
    requirement["failures"][0].update(reason=HOSTILE, actual=HOSTILE, check="check`with`ticks",
                                      reproduction="curl x\n```\n</details>\n" + HOSTILE)
    doc["target"]["gateway"] = "http://gw/`x` @octocat"
    doc["summary"]["gateway_forms"] = {"status_encoding": HOSTILE}
    markdown = render_markdown(doc)
    html = html_of(markdown)
    assert "<script>" not in html and "<img" not in html and 'href="javascript' not in html
    outside_code = re.sub(r"<code[^>]*>.*?</code>", "", html, flags=re.S)
    assert "@octocat" not in outside_code and "@\u2060octocat" in outside_code  # no mention outside code
    assert html.count("<details>") == html.count("</details>")  # the reproduction did not close the block early
    reproduction = html.split("<summary>reproduce with curl</summary>", 1)[1].split("</details>", 1)[0]
    assert "&lt;/details&gt;" in reproduction and "&lt;script&gt;alert(1)&lt;/script&gt;" in reproduction
    assert "<code>check`with`ticks</code>" in html


def test_the_report_stays_under_the_limit_and_names_what_it_left_out() -> None:
    doc = failing_document()
    template = next(r for r in doc["requirements"] if r["id"] == "GW-ASYNC-03")
    template["failures"][0]["reproduction"] = "\n".join(f"curl -sS http://gw/{i} -d '{'x' * 150}'" for i in range(80))
    many = [{**copy.deepcopy(template), "id": f"GW-ASYNC-{n:02d}"} for n in range(100)]
    doc["requirements"] = many
    markdown = render_markdown(doc)
    assert len(markdown) <= MAX_CHARS
    shown = markdown.count("#### GW-ASYNC-")
    assert 3 < shown < 100
    assert f"… and {100 - shown} more, not shown here to keep this short: GW-ASYNC-{shown:02d}" in markdown
    assert "the whole reproduction is in the HTML and JSON reports" in markdown  # 80 lines were cut to 40
    assert markdown.rstrip().endswith("the JSON result document._")
    small = render_markdown(doc, limit=5_000)
    assert len(small) <= 5_000 and "more, not shown here" in small


def test_code_spans_and_blocks_hold_any_backticks() -> None:
    assert code_span("a`b") == "``a`b``" and code_span("`edge`") == "`` `edge` ``"
    block = code_block("x\n````\ny", "sh")
    assert block.startswith("`````sh\n") and block.endswith("\n`````")
    assert json.loads(json.dumps(render_markdown(failing_document())))  # plain text, nothing binary
