"""conformance/contract/prefer.py: which mode a Prefer header selects, and what a gateway forwards.

Examples are the contract's own (GW-PREF-01..08); the properties generate
RFC 7240 headers from a model (a list of preferences) and compare the
parser's answer with the model's.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conformance.contract.prefer import MODE_TOKENS, Mode, parse, rewrite, select_mode

# ----------------------------------------------------------------- examples


@pytest.mark.parametrize(
    ("header", "mode"),
    [
        ("respond-async", Mode.ASYNC),  # GW-PREF-01
        ("respond-async-proxy", Mode.PROXY),
        ("respond-async-container", Mode.CONTAINER),
        ("   respond-async  ", Mode.ASYNC),  # GW-PREF-05
        ("\trespond-async-proxy\t", Mode.PROXY),
        ("Respond-Async", Mode.ASYNC),  # GW-PREF-06
        ("RESPOND-ASYNC-CONTAINER", Mode.CONTAINER),
        ("respond-async, wait=10", Mode.ASYNC),  # GW-PREF-07
        ("wait=10, respond-async-proxy", Mode.PROXY),
        ("respond-async; foo=bar", Mode.ASYNC),
        ('respond-async-container; note="a, b; c"', Mode.CONTAINER),
        ("respond-async, respond-async-proxy", Mode.ASYNC),  # GW-PREF-08: first wins
        ("respond-async=1", Mode.ASYNC),  # a value does not change the name
    ],
)
def test_recognized_values_select_their_mode(header: str, mode: Mode) -> None:
    assert select_mode(header) is mode


@pytest.mark.parametrize(
    "header",
    [
        "wait=5",  # GW-PREF-03
        "return=minimal",
        "handling=lenient",
        "made-up-token",
        "",
        "respond-asyncx",  # GW-PREF-04
        "xrespond-async",
        "respond_async",
        "respond-async-proxyx",
        "respond-async-containers",
        "respond-async-",
        "respond async",
        '"respond-async"',
        "foo=respond-async",
        "foo; respond-async",  # a parameter, not a preference
        'foo="respond-async, x"',  # inside a quoted string
    ],
)
def test_anything_else_is_synchronous(header: str) -> None:
    assert select_mode(header) is Mode.SYNC


def test_no_header_is_synchronous() -> None:  # GW-PREF-02
    assert select_mode(None) is Mode.SYNC
    assert select_mode([]) is Mode.SYNC


def test_several_header_lines_are_one_list() -> None:  # GW-PREF-07
    assert select_mode(["wait=5", "respond-async-proxy"]) is Mode.PROXY
    assert [p.key for p in parse(["a, b", "c"])] == ["a", "b", "c"]


def test_parse_keeps_values_and_parameters() -> None:
    (pref,) = parse('Wait = "1\\"0" ; A=b;c')
    assert (pref.name, pref.key, pref.value) == ("Wait", "wait", '1"0')
    assert pref.params == (("A", "b"), ("c", None))


@pytest.mark.parametrize(
    ("lines", "replacement", "expected"),
    [
        (["respond-async"], None, []),
        (["respond-async, wait=10"], None, ["wait=10"]),
        (["wait=10,  respond-async;x=1 , return=minimal"], None, ["wait=10, return=minimal"]),
        (["respond-async-proxy"], "respond-async", ["respond-async"]),
        (["Respond-Async-Container; q=1, foo"], "respond-async", ["respond-async, foo"]),
        (["wait=5", "respond-async-proxy, respond-async"], "respond-async", ["wait=5", "respond-async"]),
        (["respond-async-proxy", "respond-async-container"], "respond-async", ["respond-async"]),
        (["  odd ,, spacing  ", "respond-async"], None, ["  odd ,, spacing  "]),
        ([], "respond-async", []),
    ],
)
def test_rewrite_examples(lines: list[str], replacement: str | None, expected: list[str]) -> None:
    assert rewrite(lines, replacement) == expected


# --------------------------------------------------------------- properties

TCHARS = string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~"
MODE_NAMES = sorted(MODE_TOKENS)
NEAR_MISSES = [
    "respond-asyncx",
    "xrespond-async",
    "respond_async",
    "respond-async-proxyx",
    "respond-async-containers",
    "respond-async-",
    "respond-asyn",
]

token = st.text(TCHARS, min_size=1, max_size=12)
quoted = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12).map(
    lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
)
word = token | quoted
ows = st.sampled_from(["", " ", "  ", "\t"])


def random_case(draw: st.DrawFn, name: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    return "".join(c.upper() if flip else c for c, flip in zip(name, flips, strict=True))


@dataclass
class Element:
    name: str
    text: str

    @property
    def mode(self) -> Mode | None:
        return MODE_TOKENS.get(self.name.lower())


@st.composite
def elements(draw: st.DrawFn) -> Element:
    kind = draw(st.sampled_from(["mode", "near-miss", "other"]))
    if kind == "mode":
        name = random_case(draw, draw(st.sampled_from(MODE_NAMES)))
    elif kind == "near-miss":
        name = draw(st.sampled_from(NEAR_MISSES))
    else:
        name = draw(token)
    text = name
    if draw(st.booleans()):
        text += draw(ows) + "=" + draw(ows) + draw(word)
    for _ in range(draw(st.integers(0, 2))):
        text += draw(ows) + ";" + draw(ows) + draw(token)
        if draw(st.booleans()):
            text += "=" + draw(word)
    return Element(name, text)


@st.composite
def headers(draw: st.DrawFn) -> list[list[Element]]:
    """Header lines, each a non-empty list of elements."""
    return draw(st.lists(st.lists(elements(), min_size=1, max_size=4), min_size=1, max_size=3))


@st.composite
def rendered(draw: st.DrawFn) -> tuple[list[list[Element]], list[str]]:
    model = draw(headers())
    lines = []
    for line in model:
        text = line[0].text + "".join(draw(ows) + "," + draw(ows) + e.text for e in line[1:])
        lines.append(draw(ows) + text + draw(ows))
    return model, lines


def expected_mode(model: list[list[Element]]) -> Mode:
    for line in model:
        for element in line:
            if element.mode is not None:
                return element.mode
    return Mode.SYNC


@given(rendered())
def test_the_first_recognized_name_selects_the_mode(case: tuple[list[list[Element]], list[str]]) -> None:
    model, lines = case
    assert select_mode(lines) is expected_mode(model)
    assert [p.key for p in parse(lines)] == [e.name.lower() for line in model for e in line]


@given(rendered())
def test_removing_the_mode_leaves_every_other_preference(case: tuple[list[list[Element]], list[str]]) -> None:
    model, lines = case
    out = rewrite(lines, None)
    assert select_mode(out) is Mode.SYNC
    assert [p.key for p in parse(out)] == [e.name.lower() for line in model for e in line if e.mode is None]
    assert [p for p in parse(out)] == [p for p in parse(lines) if p.key not in MODE_TOKENS]


@given(rendered())
def test_replacing_the_mode_gives_exactly_one_respond_async(case: tuple[list[list[Element]], list[str]]) -> None:
    model, lines = case
    out = rewrite(lines, "respond-async")
    recognized = [p.key for p in parse(out) if p.key in MODE_TOKENS]
    if expected_mode(model) is Mode.SYNC:
        assert out == lines
    else:
        assert recognized == ["respond-async"]
        assert select_mode(out) is Mode.ASYNC
    others = [p for p in parse(out) if p.key not in MODE_TOKENS]
    assert others == [p for p in parse(lines) if p.key not in MODE_TOKENS]


@given(rendered())
def test_lines_without_a_mode_pass_byte_for_byte(case: tuple[list[list[Element]], list[str]]) -> None:
    model, lines = case
    untouched = [line for line, elems in zip(lines, model, strict=True) if all(e.mode is None for e in elems)]
    for replacement in (None, "respond-async"):
        remaining = iter(rewrite(lines, replacement))
        assert all(line in remaining for line in untouched)  # in order, unchanged
        for line in untouched:
            assert rewrite([line], replacement) == [line]


@given(st.lists(st.text(max_size=40), max_size=3))
@example(['"unterminated, respond-async'])
@example([",,,;;;==="])
def test_any_text_parses_without_error(lines: list[str]) -> None:
    mode = select_mode(lines)
    assert mode in Mode
    assert select_mode(rewrite(lines, None)) is Mode.SYNC
