"""The generators of the property checks: grammatical values, the right expected mode, the right blame.

`conformance.contract.prefer` decides the mode a generated Prefer value selects;
here an independent, deliberately naive reading of the simple (unquoted)
values must agree with it, and the structure of every value is checked
against the RFC 7240 grammar.
"""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.contract import prefer
from conformance.contract.prefer import MODE_TOKENS, Mode
from conformance.generate.answers import QUERY_LIMIT, answers
from conformance.generate.requests import paths, requests
from conformance.judge.unchanged import normalize_path, same_path
from conformance.generate.prefer import (
    case_of,
    near_misses,
    prefer_cases,
    simplified,
    varied_cases,
    without_mentions,
)

MANY = settings(max_examples=120, deadline=None)


def naive_mode(lines: tuple[str, ...]) -> Mode:
    """Split on commas, take what precedes `;` or `=`, trim, lower-case: right for values without quotes."""
    for line in lines:
        for element in line.split(","):
            name = element.split(";", 1)[0].split("=", 1)[0].strip(" \t").lower()
            if name in MODE_TOKENS:
                return MODE_TOKENS[name]
    return Mode.SYNC


@MANY
@given(prefer_cases())
def test_unquoted_values_select_what_a_naive_reading_says(case) -> None:  # type: ignore[no-untyped-def]
    if any('"' in line for line in case.lines):
        return  # the naive reading is wrong inside quoted strings; the grammar test covers those
    assert case.expected is naive_mode(case.lines), case


@MANY
@given(prefer_cases())
def test_every_value_is_grammatical_with_at_most_one_mode(case) -> None:  # type: ignore[no-untyped-def]
    for line in case.lines:
        elements = [e for e in prefer._split_outside_quotes(line, ",") if e.strip(" \t")]
        assert len(prefer.parse(line)) == len(elements), f"an element of {line!r} is not a preference"
    assert sum(p.key in MODE_TOKENS for p in prefer.parse(case.lines)) <= 1
    assert case.expected is prefer.select_mode(case.lines)
    assert case.ids and all(rid.startswith("GW-PREF-0") for rid in case.ids)


@MANY
@given(near_misses())
def test_near_misses_never_select_and_fail_gw_pref_04(miss: str) -> None:
    case = case_of((miss,))
    assert case.expected is Mode.SYNC and miss.lower() not in MODE_TOKENS
    assert case.ids == ("GW-PREF-04",)


@settings(max_examples=100, deadline=None)
@given(varied_cases(1))
def test_one_variation_selects_its_mode(case) -> None:  # type: ignore[no-untyped-def]
    assert case.expected is not Mode.SYNC
    assert len(case.ids) == 1


@pytest.mark.parametrize(("lines", "mode", "ids"), [
    ((), Mode.SYNC, ("GW-PREF-02",)),
    (("respond-async",), Mode.ASYNC, ("GW-PREF-01",)),
    (("  respond-async-proxy\t",), Mode.PROXY, ("GW-PREF-05",)),
    (("Respond-Async",), Mode.ASYNC, ("GW-PREF-06",)),
    (("respond-async-container; a=b",), Mode.CONTAINER, ("GW-PREF-07",)),
    (("wait=1", "respond-async"), Mode.ASYNC, ("GW-PREF-07",)),
    (("Respond-Async, wait=1 ",), Mode.ASYNC, ("GW-PREF-06", "GW-PREF-07")),
    (("wait=5",), Mode.SYNC, ("GW-PREF-03",)),
    (("respond-asyncx",), Mode.SYNC, ("GW-PREF-04",)),
    (('x="a, respond-async; b"',), Mode.SYNC, ("GW-PREF-04",)),
    (("x; respond-async",), Mode.SYNC, ("GW-PREF-04",)),
])
def test_what_each_kind_of_value_must_select_and_which_id_it_judges(lines, mode, ids) -> None:  # type: ignore[no-untyped-def]
    case = case_of(lines)
    assert (case.expected, case.ids) == (mode, ids)


def test_two_recognized_values_are_never_a_case() -> None:
    with pytest.raises(ValueError, match="GW-PREF-08"):
        case_of(("respond-async, respond-async-proxy",))


def test_simplified_values_take_out_one_variation_at_a_time() -> None:
    case = case_of(('wait=1, Respond-Async; q="x"  ',))
    assert simplified(case, keep_case=False, keep_list=False).lines == ("respond-async  ",)
    assert simplified(case, keep_case=True, keep_list=False).lines == ("Respond-Async  ",)
    assert simplified(case, keep_case=False, keep_list=True).lines == ('wait=1, respond-async; q="x"  ',)
    assert simplified(case_of(("wait=1",)), keep_case=False, keep_list=False) is None


def test_without_mentions_keeps_the_mode_and_the_unrelated_preferences() -> None:
    case = case_of(('x="a, respond-async-proxy", respond-async', "wait=1, respond_async"))
    assert without_mentions(case).lines == (" respond-async", "wait=1")
    assert without_mentions(case_of(("respond-asyncx",))) is None


@pytest.mark.parametrize(("a", "b", "same"), [
    ("/a%7Eb", "/a~b", True),  # unreserved: decoding is normalization
    ("/a%2fb", "/a%2Fb", True),  # hex case
    ("/a%2Fb", "/a/b", False),  # a reserved character and its encoding are different URIs
    ("/x%3By", "/x;y", False),
    ("/%C3%A9", "/%c3%a9", True),
])
def test_paths_compare_after_rfc_3986_normalization(a: str, b: str, same: bool) -> None:
    assert same_path(a, b) is same
    assert normalize_path(normalize_path(a)) == normalize_path(a)


@settings(max_examples=100, deadline=None)
@given(paths())
def test_generated_paths_go_on_the_wire_as_generated(path: str) -> None:
    segments = path.split("/")[1:]
    assert all(segments) and all(normalize_path(s).strip(".") for s in segments)  # no empty or dot segments
    assert httpx.URL("http://gateway/mock" + path).raw_path == ("/mock" + path).encode()


@settings(max_examples=100, deadline=None)
@given(requests())
def test_generated_requests_carry_no_behaviour_for_the_mock(request) -> None:  # type: ignore[no-untyped-def]
    assert not any(key.lower().startswith("mock-") for key, _ in request.query)
    assert not any(name.lower().startswith("x-mock-") for name, _ in request.headers)
    if request.method in ("GET", "DELETE"):
        assert request.body == b"" and request.content_type is None


@settings(max_examples=100, deadline=None)
@given(answers(large=70 * 1024))
def test_answers_travel_in_the_query_or_when_large_in_the_body(answer) -> None:  # type: ignore[no-untyped-def]
    fields = answer.fields()
    assert fields["status"] == answer.status and fields["content_type"] == answer.content_type
    assert answer.large is (len(answer.body) > QUERY_LIMIT)
    if answer.large:
        assert answer.json_body().startswith(b'{"mock":{')


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_the_strategies_draw_the_same_values_from_the_same_choices(data: st.DataObject) -> None:
    case = data.draw(prefer_cases())
    assert case_of(case.lines) == case  # a case is a function of its lines: replays agree
