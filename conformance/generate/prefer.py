"""`Prefer` header values generated from the RFC 7240 grammar.

Every value is grammatical (RFC 7240 §2 with the RFC 9110 list rules)::

    Prefer     = 1#preference
    preference = token [ BWS "=" BWS word ] *( OWS ";" [ OWS parameter ] )
    parameter  = token [ BWS "=" BWS word ]
    word       = token / quoted-string

so the mode it selects is not a matter of opinion: `conformance.contract.prefer`,
the project's one parser, says which (`PreferCase.expected`). Values never
hold two recognized preferences (GW-PREF-08 leaves that open).

A case names the requirements a failure of it fails (`PreferCase.ids`),
read off the parsed value: no header is GW-PREF-02; a value selecting a mode
is GW-PREF-01 when exact, GW-PREF-05 when only whitespace surrounds it, and
the SHOULDs it leans on otherwise (GW-PREF-06 case, GW-PREF-07 lists,
parameters, several lines); a value that selects nothing is GW-PREF-04 when
it mentions "respond" or "async" anywhere (a near miss or a recognized name
in a value, parameter or quoted string: no prefix, suffix or substring
matching) and GW-PREF-03 otherwise.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from hypothesis import strategies as st

from conformance.contract import prefer
from conformance.contract.prefer import MODE_TOKENS, Mode

__all__ = [
    "PreferCase",
    "prefer_cases",
    "case_of",
    "simplified",
    "without_mentions",
    "tokens",
    "near_misses",
    "quoted_strings",
    "TCHARS",
]

TCHARS = "!#$%&'*+-.^_`|~" + string.digits + string.ascii_letters
#: qdtext (RFC 9110 §5.6.4) without obs-text: header values stay ASCII
QDTEXT = "\t " + "".join(chr(c) for c in (0x21, *range(0x23, 0x5C), *range(0x5D, 0x7F)))
RECOGNIZED = tuple(MODE_TOKENS)
#: preference names seen in the wild (RFC 7240 and others), none of them a mode
COMMON_NAMES = ("wait", "return", "handling", "odata.maxpagesize", "odata.track-changes", "respond", "async",
                "x-request-priority", "timezone", "include-deleted")
WHITESPACE = ("", " ", "\t", "  ", " \t ")

PREF_01, PREF_02, PREF_03, PREF_04, PREF_05, PREF_06, PREF_07 = (f"GW-PREF-0{i}" for i in range(1, 8))


def _mentions_a_mode(text: str) -> bool:
    low = text.lower()
    return "respond" in low or "async" in low


@dataclass(frozen=True)
class PreferCase:
    """One generated request's `Prefer` header lines and what they must select."""

    lines: tuple[str, ...]
    expected: Mode
    #: what the value leans on: "case", "whitespace", "list", "params", "lines" (recognized values only)
    features: frozenset[str] = frozenset()

    @property
    def ids(self) -> tuple[str, ...]:
        """The requirements a gateway fails when it does not treat this value as `expected`."""
        if self.expected is Mode.SYNC:
            if not self.lines:
                return (PREF_02,)
            return (PREF_04,) if any(_mentions_a_mode(line) for line in self.lines) else (PREF_03,)
        should = set()
        if "case" in self.features:
            should.add(PREF_06)
        if self.features & {"list", "params", "lines"}:
            should.add(PREF_07)
        if should:
            return tuple(sorted(should))
        return (PREF_05,) if "whitespace" in self.features else (PREF_01,)

    @property
    def raw(self) -> bool:
        """Whether a line has surrounding whitespace, which only a hand-framed request can carry."""
        return any(line != line.strip(" \t") for line in self.lines)

    def describe(self) -> str:
        if not self.lines:
            return "no Prefer header"
        return " + ".join(f"Prefer: {line!r}" for line in self.lines)


def case_of(lines: tuple[str, ...] | list[str]) -> PreferCase:
    """The case for these lines: the mode the project's parser selects and the features it relies on.

    Raises ValueError for values the contract leaves open (two recognized
    preferences, GW-PREF-08): those are never generated.
    """
    lines = tuple(lines)
    found = []
    for index, line in enumerate(lines):
        for pref in prefer.parse(line):
            if pref.key in MODE_TOKENS:
                found.append((index, pref))
    if len(found) > 1:
        raise ValueError(f"{lines!r} holds {len(found)} recognized preferences (GW-PREF-08 is left open)")
    expected = prefer.select_mode(lines)
    if not found:
        return PreferCase(lines, expected)
    index, pref = found[0]
    features = set()
    if pref.name != pref.key:
        features.add("case")
    if lines[index] != lines[index].strip(" \t"):
        features.add("whitespace")
    if pref.params:
        features.add("params")
    if len(prefer.parse(lines)) > 1 or any(not part.strip(" \t") for part in _elements(lines)):
        features.add("list")
    if len(lines) > 1:
        features.add("lines")
    return PreferCase(lines, expected, frozenset(features))


def _elements(lines: tuple[str, ...]) -> list[str]:
    return [part for line in lines for part in prefer._split_outside_quotes(line, ",")]


def _recognized_at(lines: tuple[str, ...]) -> tuple[int, int, prefer.Preference] | None:
    """(line, element, preference) of the one recognized preference, if any."""
    for index, line in enumerate(lines):
        for position, element in enumerate(prefer._split_outside_quotes(line, ",")):
            for pref in prefer.parse(element):
                if pref.key in MODE_TOKENS:
                    return index, position, pref
    return None


def simplified(case: PreferCase, *, keep_case: bool, keep_list: bool) -> PreferCase | None:
    """The case with some of its SHOULD variations taken out (None when it has no recognized value).

    Without `keep_list`, only the recognized name is left, alone on its line
    with that line's surrounding whitespace; without `keep_case` the name is
    lower-cased. A gateway that fails the simplified value fails what is
    left in it, which is how a failure is pinned on the right requirement.
    """
    found = _recognized_at(case.lines)
    if found is None:
        return None
    index, position, pref = found
    name = pref.name if keep_case else pref.key
    line = case.lines[index]
    lead, trail = line[: len(line) - len(line.lstrip(" \t"))], line[len(line.rstrip(" \t")):]
    if not keep_list:
        return case_of((lead + name + trail,))
    elements = prefer._split_outside_quotes(line, ",")
    element = elements[position]
    at = element.find(pref.name)
    elements[position] = element[:at] + name + element[at + len(pref.name):]
    lines = list(case.lines)
    lines[index] = ",".join(elements)
    return case_of(tuple(lines))


def without_mentions(case: PreferCase) -> PreferCase | None:
    """The case without the elements that mention a mode but are not one.

    None when nothing would be left or nothing changes. The one recognized
    preference, if any, stays.
    """
    lines = []
    for line in case.lines:
        kept = [e for e in prefer._split_outside_quotes(line, ",")
                if not _mentions_a_mode(e) or any(p.key in MODE_TOKENS for p in prefer.parse(e))]
        if kept and any(e.strip(" \t") for e in kept):
            lines.append(",".join(kept))
    if not lines or tuple(lines) == case.lines:
        return None
    return case_of(tuple(lines))


# ------------------------------------------------------------------ pieces

ows = st.sampled_from(WHITESPACE)


def tokens() -> st.SearchStrategy[str]:
    """Preference or parameter names that are not one of the three modes."""
    made_up = st.text(st.sampled_from(TCHARS), min_size=1, max_size=12)
    return st.one_of(st.sampled_from(COMMON_NAMES), made_up).filter(lambda t: t.lower() not in MODE_TOKENS)


def _quote(content: str) -> str:
    return '"' + content.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quoted_strings(inner: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[str]:
    """quoted-string: `"` qdtext / quoted-pair `"` (quotes and backslashes escaped)."""
    inner = inner if inner is not None else st.text(st.sampled_from(QDTEXT + '"\\'), max_size=16)
    return inner.map(_quote)


def words() -> st.SearchStrategy[str]:
    return st.one_of(tokens(), quoted_strings())


@st.composite
def cased(draw: st.DrawFn, name: str) -> str:
    """`name` in lower case (the simplest), upper, title or mixed case."""
    how = draw(st.sampled_from(("lower", "upper", "title", "mixed")))
    if how == "upper":
        return name.upper()
    if how == "title":
        return "-".join(part.capitalize() for part in name.split("-"))
    if how == "mixed":
        flips = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
        return "".join(c.upper() if flip else c for c, flip in zip(name, flips))
    return name


@st.composite
def near_misses(draw: st.DrawFn) -> str:
    """A token one edit away from a mode name: prefix, suffix, underscore, cut or dropped character."""
    name = draw(st.sampled_from(RECOGNIZED))
    how = draw(st.sampled_from(("suffix", "prefix", "underscore", "cut", "drop")))
    if how == "suffix":
        miss = name + draw(st.text(st.sampled_from(TCHARS), min_size=1, max_size=3))
    elif how == "prefix":
        miss = draw(st.text(st.sampled_from(TCHARS), min_size=1, max_size=3)) + name
    elif how == "underscore":
        hyphens = [i for i, c in enumerate(name) if c == "-"]
        at = draw(st.sampled_from(hyphens))
        miss = name[:at] + "_" + name[at + 1:]
    elif how == "cut":
        miss = name[: draw(st.integers(len("respond-"), len(name) - 1))]  # `respond-` and longer
    else:
        at = draw(st.integers(0, len(name) - 1))
        miss = name[:at] + name[at + 1:]
    miss = draw(cased(miss))
    if miss.lower() in MODE_TOKENS:  # e.g. respond-async-proxy cut back to respond-async
        miss += "x"
    return miss


@st.composite
def parameters(draw: st.DrawFn, names: st.SearchStrategy[str] | None = None,
               values: st.SearchStrategy[str] | None = None) -> str:
    """`; parameter` with the optional whitespace the grammar allows."""
    name = draw(names if names is not None else tokens())
    text = f"{draw(ows)};{draw(ows)}{name}"
    if draw(st.booleans()):
        text += f"{draw(ows)}={draw(ows)}{draw(values if values is not None else words())}"
    return text


@st.composite
def other_elements(draw: st.DrawFn) -> str:
    """A preference that is not a mode: `token [= word] *(; parameter)`."""
    text = draw(tokens())
    if draw(st.booleans()):
        text += f"{draw(ows)}={draw(ows)}{draw(words())}"
    for param in draw(st.lists(parameters(), max_size=2)):
        text += param
    return text


@st.composite
def mentioning_elements(draw: st.DrawFn) -> str:
    """A preference that is not a mode but spells one out where only substring matching would see it.

    As a value (`wait=respond-async`), a parameter name (`x; respond-async`)
    or inside a quoted string after a comma or semicolon
    (`x="a, respond-async-proxy; b"`): a gateway that splits the header
    without minding quotes, or searches it for the name, selects a mode here.
    """
    mode = draw(cased(draw(st.sampled_from(RECOGNIZED))))
    name = draw(tokens())
    where = draw(st.sampled_from(("quoted-value", "quoted-parameter", "quoted-value", "value", "parameter-name")))
    before = draw(st.sampled_from(("a, ", "x,", "wait=1, ", "b;", "a, b; ", "")))
    after = draw(st.sampled_from((", b", "; q=1", ",y", " ;", "")))
    quoted = _quote(before + mode + after)
    if where == "quoted-value":
        return f"{name}{draw(ows)}={draw(ows)}{quoted}"
    if where == "quoted-parameter":
        return name + draw(parameters(values=st.just(quoted)))
    if where == "value":
        return f"{name}={mode}"
    return name + draw(parameters(names=st.just(mode)))


def non_mode_elements() -> st.SearchStrategy[str]:
    """Anything but a mode: ordinary preferences, near misses, and modes spelled inside other preferences."""
    return st.one_of(other_elements(), mentioning_elements(), near_misses())


@st.composite
def _lines(draw: st.DrawFn, elements: list[str]) -> tuple[str, ...]:
    """Spread list elements over one to three header lines, `OWS , OWS` between them."""
    cuts = sorted(set(draw(st.lists(st.integers(1, max(len(elements) - 1, 1)), max_size=2)))) if len(elements) > 1 else []
    groups, start = [], 0
    for cut in [*cuts, len(elements)]:
        groups.append(elements[start:cut])
        start = cut
    lines = []
    for group in groups:
        line = group[0]
        for element in group[1:]:
            line += f"{draw(ows)},{draw(ows)}{element}"
        lines.append(line)
    return tuple(lines)


@st.composite
def _surrounded(draw: st.DrawFn, lines: tuple[str, ...]) -> tuple[str, ...]:
    """Leading and trailing whitespace on some lines (not part of the value, RFC 9110 §5.5)."""
    out = []
    for line in lines:
        if draw(st.booleans()):
            line = draw(st.sampled_from(WHITESPACE[1:])) + line + draw(ows)
        out.append(line)
    return tuple(out)


# ------------------------------------------------------------------- cases


@st.composite
def exact_cases(draw: st.DrawFn) -> PreferCase:
    return case_of((draw(st.sampled_from(RECOGNIZED)),))


VARIATIONS = ("whitespace", "case", "params", "list", "lines")
#: (leading, trailing) whitespace; servers drop the leading part, the trailing part reaches the gateway
SURROUNDINGS = (("", " "), (" ", ""), ("  ", "  "), ("\t", " \t"), ("", "\t"))


@st.composite
def varied_cases(draw: st.DrawFn, count: int = 1) -> PreferCase:
    """A mode name varied `count` ways at once: surrounding whitespace, case, a parameter, a list, a second line.

    Gateways that handle each variation alone often fail two together
    (`Respond-Async ` with a trailing space, `Respond-Async, wait=1`).
    """
    name = draw(st.sampled_from(RECOGNIZED))
    hows = set(draw(st.lists(st.sampled_from(VARIATIONS), min_size=count, max_size=count, unique=True)))
    if "case" in hows:
        name = draw(cased(name).filter(lambda c: c != name))
    line = name + (draw(parameters()) if "params" in hows else "")
    if "list" in hows:
        other = draw(non_mode_elements())
        line = f"{line}{draw(ows)},{draw(ows)}{other}" if draw(st.booleans()) else f"{other}{draw(ows)},{draw(ows)}{line}"
    if "whitespace" in hows:
        lead, trail = draw(st.sampled_from(SURROUNDINGS))
        line = lead + line + trail
    lines: tuple[str, ...] = (line,)
    if "lines" in hows:
        other = draw(non_mode_elements())
        lines = (line, other) if draw(st.booleans()) else (other, line)
    return case_of(lines)


@st.composite
def recognized_cases(draw: st.DrawFn) -> PreferCase:
    """A mode name in some case, maybe with parameters, among other preferences, on one of several lines."""
    element = draw(cased(draw(st.sampled_from(RECOGNIZED))))
    for param in draw(st.lists(parameters(), max_size=2)):
        element += param
    before = draw(st.lists(non_mode_elements(), max_size=2))
    after = draw(st.lists(non_mode_elements(), max_size=2))
    lines = draw(_lines([*before, element, *after]))
    return case_of(draw(_surrounded(lines)))


@st.composite
def single_other_cases(draw: st.DrawFn) -> PreferCase:
    """One preference that is not a mode (GW-PREF-03), maybe with whitespace around it."""
    return case_of(draw(_surrounded((draw(other_elements()),))))


@st.composite
def single_near_cases(draw: st.DrawFn) -> PreferCase:
    """One near miss, or one mode spelled inside another preference (GW-PREF-04)."""
    element = draw(st.one_of(mentioning_elements(), near_misses(), mentioning_elements()))
    return case_of(draw(_surrounded((element,))))


@st.composite
def other_cases(draw: st.DrawFn) -> PreferCase:
    """One or more preferences none of which is a mode, on one or more lines."""
    elements = draw(st.lists(non_mode_elements(), min_size=1, max_size=4))
    lines = draw(_lines(elements))
    return case_of(draw(_surrounded(lines)))


def prefer_cases() -> st.SearchStrategy[PreferCase]:
    """Every kind of Prefer header a request may carry.

    Simple shapes come first, so a small budget still reaches every
    requirement and shrinking has somewhere to go. One and two variations
    of a mode name get two shares each, and so do values that must select
    nothing although they spell a mode (near misses, modes inside quoted
    strings, values and parameters); free combinations and lists follow.
    """
    return st.one_of(
        st.just(PreferCase((), Mode.SYNC)),
        exact_cases(),
        varied_cases(1),
        single_near_cases(),
        varied_cases(2),
        single_other_cases(),
        varied_cases(1),
        single_near_cases(),
        varied_cases(2),
        recognized_cases(),
        other_cases(),
    )
