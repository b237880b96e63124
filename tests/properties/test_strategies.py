"""The generators of the property checks: grammatical values, the mode known by construction, the right blame.

A generated Prefer value knows the mode it must select from how it was
built (`conformance.generate.prefer` never calls the project's parser).
Here that knowledge is checked against two readings written apart from it:
the project's parser (`conformance.contract.prefer`, the code under test)
and a deliberately naive reading that is right on values without
grammar edges. The blame of the properties is checked on stand-in
gateways (pure functions, no HTTP) that do what the legal gateways of
tests/legal do: a naive comma split must fail GW-PREF-09 only, exact
matching GW-PREF-06/07 only, a path-decoding proxy GW-SYNC-05 only.
"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import quote, unquote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.checks.prefer_properties import blame
from conformance.checks.relay import RelayCase, relay_cases
from conformance.checks.sync_properties import blame_relay, edges_of
from conformance.contract import catalogue, prefer
from conformance.contract.prefer import Mode
from conformance.generate.answers import QUERY_LIMIT, answers
from conformance.generate.prefer import (
    RECOGNIZED,
    PreferCase,
    case,
    element,
    grammar_prefer_cases,
    line,
    mode_element,
    must_prefer_cases,
    near_misses,
    prefer_cases,
    varied_cases,
)
from conformance.generate.requests import UNRESERVED, climbs, generated_paths, paths, requests
from conformance.judge.unchanged import normalize_path, same_path

MANY = settings(max_examples=150, deadline=None)
MUST_PREFER = {rid for rid in (f"GW-PREF-0{i}" for i in range(1, 6))}
GRAMMAR_ONLY_TAGS = re.compile(r"[,;=\s]+")


def naive_mode(lines: tuple[str, ...]) -> Mode:
    """Split on commas, take what precedes `;` or `=`, trim, lower-case: right for values without grammar edges."""
    for text in lines:
        for piece in text.split(","):
            name = piece.split(";", 1)[0].split("=", 1)[0].strip(" \t").lower()
            if name in RECOGNIZED:
                return Mode(name)
    return Mode.SYNC


def literal_mode(lines: tuple[str, ...]) -> Mode:
    """Only a single line that is exactly a mode name (whitespace aside) selects it: node_literal_prefer_gateway.js."""
    if len(lines) == 1 and lines[0].strip(" \t") in RECOGNIZED:
        return Mode(lines[0].strip(" \t"))
    return Mode.SYNC


def stand_in(mode_of):  # type: ignore[no-untyped-def]
    """A gateway that picks the mode with `mode_of` and forwards a synchronous Prefer unchanged."""

    async def wrong(candidate: PreferCase) -> str | None:
        got = mode_of(candidate.lines)
        return None if got is candidate.expected else f"handled as {got.value}"

    return wrong


def blamed(candidate: PreferCase, mode_of) -> tuple[str, ...] | None:  # type: ignore[no-untyped-def]
    wrong = stand_in(mode_of)
    if asyncio.run(wrong(candidate)) is None:
        return None
    return asyncio.run(blame(candidate, wrong))[0]


# ------------------------------------------------------- Prefer: construction


@MANY
@given(prefer_cases())
def test_the_parser_selects_the_mode_each_value_was_built_to_select(generated: PreferCase) -> None:
    assert prefer.select_mode(generated.lines) is generated.expected, generated.describe()


@MANY
@given(prefer_cases())
def test_every_value_is_grammatical_with_at_most_one_mode(generated: PreferCase) -> None:
    for text in generated.lines:
        elements = [e for e in prefer._split_outside_quotes(text, ",") if e.strip(" \t")]
        assert len(prefer.parse(text)) == len(elements), f"an element of {text!r} is not a preference"
    assert sum(p.key in RECOGNIZED for p in prefer.parse(generated.lines)) <= 1
    assert generated.ids and all(rid.startswith("GW-PREF-0") for rid in generated.ids)


@MANY
@given(must_prefer_cases())
def test_must_level_values_hold_no_grammar_edge(generated: PreferCase) -> None:
    """No quoted-string, and a mode name appears only where it selects: the naive reading is right on them."""
    assert not any('"' in text for text in generated.lines), generated.describe()
    assert not generated.grammar_edge and generated.plain == generated
    names = [token.lower() for text in generated.lines for token in GRAMMAR_ONLY_TAGS.split(text)]
    assert sum(name in RECOGNIZED for name in names) == (generated.expected is not Mode.SYNC)
    assert naive_mode(generated.lines) is generated.expected


@MANY
@given(prefer_cases())
def test_a_value_judging_a_must_never_holds_a_quoted_string(generated: PreferCase) -> None:
    if MUST_PREFER & set(generated.ids):
        assert not generated.grammar_edge and not any('"' in text for text in generated.lines), generated.describe()
    if generated.grammar_edge and generated.expected is Mode.SYNC:
        assert generated.ids == ("GW-PREF-09",)


@MANY
@given(grammar_prefer_cases())
def test_the_plain_twin_selects_the_same_mode_without_grammar_edges(generated: PreferCase) -> None:
    plain = generated.plain
    assert plain.expected is generated.expected
    assert not plain.grammar_edge and not any('"' in text for text in plain.lines)
    assert prefer.select_mode(plain.lines) is plain.expected


@MANY
@given(near_misses())
def test_near_misses_never_select_and_fail_gw_pref_04(miss: str) -> None:
    built = case(line(element(miss, near_miss=True)))
    assert built.expected is Mode.SYNC and miss.lower() not in RECOGNIZED
    assert prefer.select_mode([miss]) is Mode.SYNC
    assert built.ids == ("GW-PREF-04",)


@settings(max_examples=100, deadline=None)
@given(varied_cases(1))
def test_one_variation_selects_its_mode(generated: PreferCase) -> None:
    assert generated.expected is not Mode.SYNC
    assert len(generated.ids) == 1


@pytest.mark.parametrize(("built", "mode", "ids"), [
    (case(), Mode.SYNC, ("GW-PREF-02",)),
    (case(line(mode_element("respond-async"))), Mode.ASYNC, ("GW-PREF-01",)),
    (case(line(mode_element("respond-async-proxy"), lead="  ", trail="\t")), Mode.PROXY, ("GW-PREF-05",)),
    (case(line(mode_element("Respond-Async"))), Mode.ASYNC, ("GW-PREF-06",)),
    (case(line(mode_element("respond-async-container", "; a=b"))), Mode.CONTAINER, ("GW-PREF-07",)),
    (case(line(element("wait=1")), line(mode_element("respond-async"))), Mode.ASYNC, ("GW-PREF-07",)),
    (case(line(mode_element("Respond-Async"), element("wait=1"), trail=" ")), Mode.ASYNC, ("GW-PREF-06", "GW-PREF-07")),
    (case(line(element("wait=5"))), Mode.SYNC, ("GW-PREF-03",)),
    (case(line(element("respond-asyncx", near_miss=True))), Mode.SYNC, ("GW-PREF-04",)),
    (case(line(element('x="a, respond-async; b"', trap=True))), Mode.SYNC, ("GW-PREF-09",)),
    (case(line(element("x; respond-async", trap=True))), Mode.SYNC, ("GW-PREF-09",)),
    (case(line(element('wait="10"'))), Mode.SYNC, ("GW-PREF-09",)),
    # a mode with a quoted parameter is a list-and-parameters value: GW-PREF-07, never 01..05
    (case(line(mode_element("respond-async", '; p="a, b"'))), Mode.ASYNC, ("GW-PREF-07",)),
])
def test_what_each_kind_of_value_must_select_and_which_id_it_judges(built: PreferCase, mode: Mode, ids) -> None:  # type: ignore[no-untyped-def]
    assert (built.expected, built.ids) == (mode, ids)
    assert prefer.select_mode(built.lines) is mode


def test_two_recognized_values_are_never_a_case() -> None:
    with pytest.raises(ValueError, match="GW-PREF-08"):
        case(line(mode_element("respond-async"), mode_element("respond-async-proxy")))


def test_simplified_values_take_out_one_variation_at_a_time() -> None:
    built = case(line(element("wait=1"), mode_element("Respond-Async", '; q="x"'), trail="  "))
    assert built.simplified(keep_case=False, keep_list=False).lines == ("respond-async  ",)
    assert built.simplified(keep_case=True, keep_list=False).lines == ("Respond-Async  ",)
    assert built.simplified(keep_case=False, keep_list=True).lines == ('wait=1, respond-async; q="x"  ',)
    assert case(line(element("wait=1"))).simplified(keep_case=False, keep_list=False) is None


def test_unmisled_replaces_what_spells_a_mode_and_keeps_the_shape() -> None:
    built = case(line(element('x="a, respond-async-proxy"', trap=True), mode_element("respond-async")),
                 line(element("wait=1"), element("respond_async", near_miss=True)))
    assert built.unmisled().lines == ("plain, respond-async", "wait=1, plain")
    assert case(line(element("respond-asyncx", near_miss=True))).unmisled().lines == ("plain",)
    assert case(line(element("wait=1"))).unmisled() is None


# ------------------------------------------------------ Prefer: the blame


@MANY
@given(prefer_cases())
def test_a_naive_comma_split_is_blamed_on_gw_pref_09_only(generated: PreferCase) -> None:
    """tests/legal/starlette_gateway.py reads Prefer this way: legal, so it must never fail a MUST."""
    ids = blamed(generated, naive_mode)
    assert ids in (None, ("GW-PREF-09",)), (generated.describe(), ids)


@MANY
@given(prefer_cases())
def test_exact_matching_is_blamed_on_gw_pref_06_and_07_only(generated: PreferCase) -> None:
    """tests/legal/node_literal_prefer_gateway.js: only a whole line that is exactly a mode name selects it."""
    ids = blamed(generated, literal_mode)
    assert ids is None or set(ids) <= {"GW-PREF-06", "GW-PREF-07"}, (generated.describe(), ids)


@MANY
@given(prefer_cases())
def test_the_parser_passes_every_generated_value(generated: PreferCase) -> None:
    assert blamed(generated, prefer.select_mode) is None


def test_a_gateway_that_reads_every_token_fails_a_must_only_on_values_without_grammar_edges() -> None:
    def any_token(lines: tuple[str, ...]) -> Mode:
        names = [t.lower() for text in lines for t in GRAMMAR_ONLY_TAGS.split(text)]
        return next((Mode(n) for n in names if n in RECOGNIZED), Mode.SYNC)

    trap = case(line(element("foo; respond-async", trap=True)))
    assert blamed(trap, any_token) == ("GW-PREF-09",)
    near_and_trap = case(line(element("x; respond-async-proxy", trap=True), mode_element("respond-async")))
    assert blamed(near_and_trap, any_token) == ("GW-PREF-09",)


# ------------------------------------------------------------------ paths


def _encoded_octets(path: str) -> list[int]:
    return [int(h, 16) for h in re.findall(r"%([0-9A-Fa-f]{2})", path)]


@MANY
@given(paths())
def test_must_level_paths_hold_no_encoded_reserved_character_and_no_empty_segment(path: str) -> None:
    segments = path.split("/")[1:]
    assert all(segments), path  # no empty segment
    for octet in _encoded_octets(path):
        assert octet >= 0x80 or chr(octet) in UNRESERVED, f"{path} encodes {chr(octet)!r}"
    assert "%" not in path.replace("%", "", len(_encoded_octets(path)))  # every % starts an encoding
    assert not any(climbs(s) for s in segments)
    assert httpx.URL("http://gateway/mock" + path).raw_path == ("/mock" + path).encode()


@MANY
@given(generated_paths(edges=True))
def test_edge_paths_have_a_plain_twin_at_must_level(generated) -> None:  # type: ignore[no-untyped-def]
    twin = generated.plain
    assert all(twin.split("/")[1:])
    for octet in _encoded_octets(twin):
        assert octet >= 0x80 or chr(octet) in UNRESERVED
    assert not any(climbs(s) for s in generated.wire.split("/")[1:])
    assert httpx.URL("http://gateway/mock" + generated.wire).raw_path == ("/mock" + generated.wire).encode()
    if not generated.edges:
        assert twin == generated.wire


def test_dot_segments_in_any_reading_are_refused() -> None:
    for segment in ("..", ".", "..%2F..", "..%5C", "..;x", ".%2E", "a%2F..", "%2E%2E", "x;."):
        assert climbs(segment), segment
    for segment in ("..x", "a.b", "...", "%2E%2Ex", ".well-known"):
        assert not climbs(segment), segment


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


# ------------------------------------------------------- paths: the blame

#: RFC 3986 pchar and "/": what Starlette's decoded path gets re-encoded with in tests/legal/starlette_gateway.py
PATH_SAFE = "/:@!$&'()*+,;="


def decoding_proxy(path: str) -> str:
    """What a proxy that decodes the path and merges slashes forwards (nginx `proxy_pass http://up/;`)."""
    return re.sub("/+", "/", quote(unquote(path), safe=PATH_SAFE + "~"))


def relay_stand_in(forward):  # type: ignore[no-untyped-def]
    async def wrong_side(candidate: RelayCase) -> str | None:
        return None if same_path(forward(candidate.request.path), candidate.request.path) else "request"

    return wrong_side


@MANY
@given(relay_cases(edges=True))
def test_a_path_decoding_proxy_is_blamed_on_gw_sync_05_only(generated: RelayCase) -> None:
    wrong_side = relay_stand_in(decoding_proxy)
    if asyncio.run(wrong_side(generated)) is None:
        assert not generated.request.path_edges or same_path(decoding_proxy(generated.request.path), generated.request.path)
        return
    assert "path" in edges_of(generated)
    ids, _ = asyncio.run(blame_relay(generated, "request", wrong_side))
    assert "GW-SYNC-05" in ids and not {"GW-SYNC-01", "GW-SYNC-02"} & set(ids), (generated.describe(), ids)


@settings(max_examples=60, deadline=None)
@given(relay_cases(edges=True))
def test_a_proxy_that_drops_the_last_segment_is_blamed_on_the_must(generated: RelayCase) -> None:
    wrong_side = relay_stand_in(lambda path: path.rsplit("/", 1)[0] or "/")
    ids, _ = asyncio.run(blame_relay(generated, "request", wrong_side))
    assert ids == ("GW-SYNC-01",), (generated.describe(), ids)


def test_must_level_strategies_never_judge_a_should_edge() -> None:
    """The async and container properties draw MUST-level requests: no path there is GW-SYNC-05's."""
    @settings(max_examples=150, deadline=None)
    @given(requests(methods=("POST",)))
    def draw(request) -> None:  # type: ignore[no-untyped-def]
        assert not request.path_edges and request.plain_path is None

    draw()


# ------------------------------------------------------------- the rest


@settings(max_examples=100, deadline=None)
@given(requests(edges=True))
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


def test_the_generated_ids_are_catalogue_ids_of_the_right_level() -> None:
    assert catalogue.get("GW-PREF-09").level is catalogue.Level.SHOULD
    assert catalogue.get("GW-SYNC-05").level is catalogue.Level.SHOULD
    assert all(catalogue.get(rid).level is catalogue.Level.MUST for rid in MUST_PREFER)


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_a_case_is_a_function_of_its_parts(data: st.DataObject) -> None:
    generated = data.draw(prefer_cases())
    assert PreferCase(generated.header) == generated and hash(PreferCase(generated.header)) == hash(generated)
