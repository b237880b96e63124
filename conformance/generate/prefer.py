"""`Prefer` header values generated from the RFC 7240 grammar, each knowing by construction what it selects.

Every value is grammatical (RFC 7240 §2 with the RFC 9110 list rules)::

    Prefer     = 1#preference
    preference = token [ BWS "=" BWS word ] *( OWS ";" [ OWS parameter ] )
    parameter  = token [ BWS "=" BWS word ]
    word       = token / quoted-string

and is built from parts whose meaning is known as they are drawn: at most
one element is a mode name standing where the grammar reads a preference
name (that element selects its mode; a value without one is synchronous),
and every other element is either an ordinary preference, a near miss of a
mode name, or a *trap*: a mode name where the grammar reads no preference
name (a parameter name, a value, inside a quoted-string). Nothing here
calls the project's parser (`conformance.contract.prefer`): the mode a
value must select comes from how it was built, so a parser bug cannot sit
on both sides of a verdict.

Which requirements a case judges (`PreferCase.ids`), as the contract's
"Levels" paragraph has it: a MUST is judged only on values a real client
sends, so a value holding a quoted-string or a trap judges GW-PREF-09
(SHOULD: the grammar decides) when it must select nothing, and never
GW-PREF-01..05. Otherwise: no header is GW-PREF-02; a value selecting a
mode is GW-PREF-01 when exact, GW-PREF-05 when only whitespace surrounds
it, and the SHOULDs it leans on otherwise (GW-PREF-06 case, GW-PREF-07
lists, parameters, several lines); a value that selects nothing is
GW-PREF-04 when it holds a near miss or mentions "respond" or "async", and
GW-PREF-03 otherwise.

Each case carries its *plain twin* (`PreferCase.plain`): the same value
with every quoted-string and every trap replaced by a plain token. When a
gateway fails a case but passes its plain twin, the grammar was its
trouble (GW-PREF-09); when it fails the twin too, the twin (free of
grammar edges) says which MUST or SHOULD it fails. `must_prefer_cases`
draws only values whose twin is themselves.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field, replace

from hypothesis import strategies as st

from conformance.contract.prefer import Mode

__all__ = [
    "Piece",
    "Element",
    "Line",
    "PreferCase",
    "prefer_cases",
    "KINDS",
    "must_prefer_cases",
    "grammar_prefer_cases",
    "mode_element",
    "element",
    "line",
    "case",
    "tokens",
    "near_misses",
    "quoted_strings",
    "TCHARS",
    "RECOGNIZED",
    "PREF_09",
]

TCHARS = "!#$%&'*+-.^_`|~" + string.digits + string.ascii_letters
#: qdtext (RFC 9110 §5.6.4) without obs-text: header values stay ASCII
QDTEXT = "\t " + "".join(chr(c) for c in (0x21, *range(0x23, 0x5C), *range(0x5D, 0x7F)))
#: the three mode names of the contract (GW-PREF-01), written here, not read from the parser
RECOGNIZED = ("respond-async", "respond-async-proxy", "respond-async-container")
#: preference names seen in the wild (RFC 7240 and others), none of them a mode
COMMON_NAMES = ("wait", "return", "handling", "odata.maxpagesize", "odata.track-changes", "respond", "async",
                "x-request-priority", "timezone", "include-deleted")
WHITESPACE = ("", " ", "\t", "  ", " \t ")
#: what a quoted-string or a trap becomes in a plain twin
PLAIN_TOKEN = "plain"

PREF_01, PREF_02, PREF_03, PREF_04, PREF_05, PREF_06, PREF_07, PREF_09 = (
    f"GW-PREF-0{i}" for i in (1, 2, 3, 4, 5, 6, 7, 9))


def _mentions_a_mode(text: str) -> bool:
    low = text.lower()
    return "respond" in low or "async" in low


def _is_mode_name(text: str) -> bool:
    return text.lower() in RECOGNIZED


@dataclass(frozen=True)
class Piece:
    """A stretch of header text, its plain twin, and what it holds."""

    text: str
    plain: str
    quoted: bool = False
    trap: bool = False

    def __add__(self, other: "Piece") -> "Piece":
        return Piece(self.text + other.text, self.plain + other.plain, self.quoted or other.quoted,
                     self.trap or other.trap)


def lit(text: str) -> Piece:
    return Piece(text, text)


@dataclass(frozen=True)
class Element:
    """One list element: `name` (as written) then `rest` (`=word`, `;parameters`)."""

    name: str
    rest: Piece = field(default_factory=lambda: lit(""))
    #: the name is one of the three modes (case aside): this element selects it
    selects: Mode | None = None
    near_miss: bool = False
    #: the element is a trap as a whole (e.g. `x; respond-async` drawn as one), on top of what `rest` holds
    trap: bool = False

    @property
    def text(self) -> str:
        return self.name + self.rest.text

    @property
    def quoted(self) -> bool:
        return self.rest.quoted

    @property
    def traps(self) -> bool:
        return self.trap or self.rest.trap

    @property
    def plain(self) -> "Element":
        return replace(self, rest=lit(self.rest.plain), trap=False)

    @property
    def misleads(self) -> bool:
        """Selects nothing, but spells or nearly spells a mode."""
        return self.selects is None and (self.near_miss or self.traps or _mentions_a_mode(self.text))


@dataclass(frozen=True)
class Line:
    """One `Prefer` header line: elements with the `OWS , OWS` between them, and whitespace around the whole."""

    elements: tuple[Element, ...]
    seps: tuple[str, ...] = ()
    lead: str = ""
    trail: str = ""

    def __post_init__(self) -> None:
        if len(self.seps) != max(len(self.elements) - 1, 0):
            raise ValueError("a line needs one separator between each two elements")

    @property
    def text(self) -> str:
        out = self.elements[0].text if self.elements else ""
        for sep, item in zip(self.seps, self.elements[1:]):
            out += sep + item.text
        return self.lead + out + self.trail

    def keeping(self, keep: list[bool]) -> "Line | None":
        """The line with only the elements marked True (None when none is left)."""
        kept = [(i, e) for i, (e, k) in enumerate(zip(self.elements, keep)) if k]
        if not kept:
            return None
        seps = tuple(self.seps[i - 1] if i > 0 else ", " for i, _ in kept[1:])
        return Line(tuple(e for _, e in kept), seps, self.lead, self.trail)


@dataclass(frozen=True)
class PreferCase:
    """One generated request's `Prefer` header lines and, by construction, what they must select."""

    header: tuple[Line, ...] = ()

    def __post_init__(self) -> None:
        if sum(e.selects is not None for e in self._elements()) > 1:
            raise ValueError("two recognized preferences in one value (GW-PREF-08 is left open): never generated")

    def _elements(self) -> list[Element]:
        return [e for line in self.header for e in line.elements]

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(line.text for line in self.header)

    @property
    def expected(self) -> Mode:
        return next((e.selects for e in self._elements() if e.selects is not None), Mode.SYNC)

    @property
    def grammar_edge(self) -> bool:
        """Holds a quoted-string or a trap: only the RFC 7240 grammar decides what it means."""
        return any(e.quoted or e.traps for e in self._elements())

    @property
    def features(self) -> frozenset[str]:
        """What a value selecting a mode leans on: "case", "whitespace", "params", "list", "lines"."""
        found = set()
        for line in self.header:
            for item in line.elements:
                if item.selects is None:
                    continue
                if item.name != item.name.lower():
                    found.add("case")
                if line.lead or line.trail:
                    found.add("whitespace")
                if item.rest.text:
                    found.add("params")
                if len(line.elements) > 1:
                    found.add("list")
        if len(self.header) > 1 and self.expected is not Mode.SYNC:
            found.add("lines")
        return frozenset(found)

    @property
    def ids(self) -> tuple[str, ...]:
        """The requirements a gateway fails when it does not treat this value as `expected`."""
        if self.expected is Mode.SYNC:
            if not self.header:
                return (PREF_02,)
            if self.grammar_edge:
                return (PREF_09,)
            return (PREF_04,) if any(e.misleads for e in self._elements()) else (PREF_03,)
        features = self.features
        should = set()
        if "case" in features:
            should.add(PREF_06)
        if features & {"list", "params", "lines"}:
            should.add(PREF_07)
        if should:
            return tuple(sorted(should))
        return (PREF_05,) if "whitespace" in features else (PREF_01,)

    @property
    def raw(self) -> bool:
        """Whether a line has surrounding whitespace, which only a hand-framed request can carry."""
        return any(line.lead or line.trail for line in self.header)

    @property
    def plain(self) -> "PreferCase":
        """The twin without grammar edges: every quoted-string and trap replaced by a plain token."""
        return PreferCase(tuple(replace(line, elements=tuple(e.plain for e in line.elements)) for line in self.header))

    def simplified(self, *, keep_case: bool, keep_list: bool) -> "PreferCase | None":
        """The case with some of its SHOULD variations taken out (None when it selects nothing).

        Without `keep_list`, only the mode name is left, alone on its line
        with that line's surrounding whitespace; without `keep_case` the name
        is lower-cased. A gateway that fails the simplified value fails what
        is left in it, which is how a failure is pinned on the right requirement.
        """
        for line in self.header:
            for item in line.elements:
                if item.selects is None:
                    continue
                name = item.name if keep_case else item.name.lower()
                if not keep_list:
                    return PreferCase((Line((Element(name, selects=item.selects),), (), line.lead, line.trail),))
                lines = []
                for other in self.header:
                    elements = tuple(replace(e, name=name) if e is item else e for e in other.elements)
                    lines.append(replace(other, elements=elements))
                return PreferCase(tuple(lines))
        return None

    def unmisled(self) -> "PreferCase | None":
        """The case with every element that selects nothing but spells or nearly spells a mode (a near miss,
        a trap, a mention of "respond" or "async") replaced by a plain preference; None when there is none.

        Replaced, not removed: the value keeps its shape (a list stays a list), so a gateway that fails
        the original but passes this was misled by those elements, not by the shape.
        """
        if not any(e.misleads for e in self._elements()):
            return None
        plain = Element(PLAIN_TOKEN)
        return PreferCase(tuple(replace(line, elements=tuple(plain if e.misleads else e for e in line.elements))
                                for line in self.header))

    def describe(self) -> str:
        if not self.header:
            return "no Prefer header"
        return " + ".join(f"Prefer: {text!r}" for text in self.lines)


# ------------------------------------------------------------ hand building


def mode_element(name: str, rest: str = "") -> Element:
    """A mode name (any case) with plain `rest` after it (`; q=1`)."""
    if not _is_mode_name(name):
        raise ValueError(f"{name!r} is not one of the three mode names")
    return Element(name, lit(rest), selects=Mode(name.lower()))


def element(text: str, *, near_miss: bool = False, trap: bool = False) -> Element:
    """An element that selects nothing, written whole; `"` in it marks a quoted-string."""
    quoted = '"' in text
    plain = text if not (quoted or trap) else PLAIN_TOKEN
    return Element("", Piece(text, plain, quoted, trap), near_miss=near_miss)


def line(*elements: Element, sep: str = ", ", lead: str = "", trail: str = "") -> Line:
    return Line(tuple(elements), (sep,) * (len(elements) - 1), lead, trail)


def case(*lines: Line) -> PreferCase:
    return PreferCase(tuple(lines))


# ------------------------------------------------------------------ pieces

ows = st.sampled_from(WHITESPACE)


def tokens() -> st.SearchStrategy[str]:
    """Preference or parameter names that are not one of the three modes."""
    made_up = st.text(st.sampled_from(TCHARS), min_size=1, max_size=12)
    return st.one_of(st.sampled_from(COMMON_NAMES), made_up).filter(lambda t: not _is_mode_name(t))


def _quote(content: str) -> str:
    return '"' + content.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quoted_strings(inner: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Piece]:
    """quoted-string: `"` qdtext / quoted-pair `"` (quotes and backslashes escaped); plain twin: a token."""
    inner = inner if inner is not None else st.text(st.sampled_from(QDTEXT + '"\\'), max_size=16)
    return inner.map(lambda text: Piece(_quote(text), PLAIN_TOKEN, quoted=True))


def words(grammar: bool) -> st.SearchStrategy[Piece]:
    plain = tokens().map(lit)
    return st.one_of(plain, quoted_strings()) if grammar else plain


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
    if _is_mode_name(miss):  # e.g. respond-async-proxy cut back to respond-async
        miss += "x"
    return miss


@st.composite
def parameters(draw: st.DrawFn, grammar: bool, names: st.SearchStrategy[Piece] | None = None,
               values: st.SearchStrategy[Piece] | None = None) -> Piece:
    """`; parameter` with the optional whitespace the grammar allows."""
    name = draw(names if names is not None else tokens().map(lit))
    piece = lit(f"{draw(ows)};{draw(ows)}") + name
    if draw(st.booleans()):
        piece = piece + lit(f"{draw(ows)}={draw(ows)}") + draw(values if values is not None else words(grammar))
    return piece


@st.composite
def other_elements(draw: st.DrawFn, grammar: bool) -> Element:
    """A preference that is not a mode: `token [= word] *(; parameter)`."""
    rest = lit("")
    if draw(st.booleans()):
        rest = rest + lit(f"{draw(ows)}={draw(ows)}") + draw(words(grammar))
    for param in draw(st.lists(parameters(grammar), max_size=2)):
        rest = rest + param
    return Element(draw(tokens()), rest)


@st.composite
def near_elements(draw: st.DrawFn) -> Element:
    return Element(draw(near_misses()), near_miss=True)


@st.composite
def trap_elements(draw: st.DrawFn) -> Element:
    """A preference that is not a mode but spells one out where only the grammar says it is no preference name.

    As a value (`wait=respond-async`), a parameter name (`x; respond-async`)
    or inside a quoted string after a comma or semicolon
    (`x="a, respond-async-proxy; b"`): a gateway that splits the header
    without minding quotes, or reads every token, selects a mode here.
    """
    mode = draw(cased(draw(st.sampled_from(RECOGNIZED))))
    name = draw(tokens())
    where = draw(st.sampled_from(("quoted-value", "quoted-parameter", "quoted-value", "value", "parameter-name")))
    before = draw(st.sampled_from(("a, ", "x,", "wait=1, ", "b;", "a, b; ", "")))
    after = draw(st.sampled_from((", b", "; q=1", ",y", " ;", "")))
    quoted = Piece(_quote(before + mode + after), PLAIN_TOKEN, quoted=True, trap=True)
    trap = Piece(mode, PLAIN_TOKEN, trap=True)
    if where == "quoted-value":
        rest = lit(f"{draw(ows)}={draw(ows)}") + quoted
    elif where == "quoted-parameter":
        rest = draw(parameters(True, values=st.just(quoted)))
    elif where == "value":
        rest = lit("=") + trap
    else:
        rest = draw(parameters(True, names=st.just(trap)))
    return Element(name, rest)


def non_mode_elements(grammar: bool) -> st.SearchStrategy[Element]:
    """Anything but a mode: ordinary preferences, near misses, and (with `grammar`) traps."""
    if grammar:
        return st.one_of(other_elements(True), trap_elements(), near_elements())
    return st.one_of(other_elements(False), near_elements())


@st.composite
def _lines(draw: st.DrawFn, elements: list[Element]) -> tuple[Line, ...]:
    """Spread list elements over one to three header lines, `OWS , OWS` between them."""
    cuts = sorted(set(draw(st.lists(st.integers(1, max(len(elements) - 1, 1)), max_size=2)))) if len(elements) > 1 else []
    groups, start = [], 0
    for cut in [*cuts, len(elements)]:
        groups.append(elements[start:cut])
        start = cut
    out = []
    for group in groups:
        seps = tuple(f"{draw(ows)},{draw(ows)}" for _ in group[1:])
        out.append(Line(tuple(group), seps))
    return tuple(out)


@st.composite
def _surrounded(draw: st.DrawFn, lines: tuple[Line, ...]) -> tuple[Line, ...]:
    """Leading and trailing whitespace on some lines (not part of the value, RFC 9110 §5.5)."""
    out = []
    for item in lines:
        if draw(st.booleans()):
            item = replace(item, lead=draw(st.sampled_from(WHITESPACE[1:])), trail=draw(ows))
        out.append(item)
    return tuple(out)


# ------------------------------------------------------------------- cases


@st.composite
def exact_cases(draw: st.DrawFn) -> PreferCase:
    return case(line(mode_element(draw(st.sampled_from(RECOGNIZED)))))


VARIATIONS = ("whitespace", "case", "params", "list", "lines")
#: (leading, trailing) whitespace; servers drop the leading part, the trailing part reaches the gateway
SURROUNDINGS = (("", " "), (" ", ""), ("  ", "  "), ("\t", " \t"), ("", "\t"))


@st.composite
def varied_cases(draw: st.DrawFn, count: int = 1, grammar: bool = False,
                 variations: tuple[str, ...] = VARIATIONS) -> PreferCase:
    """A mode name varied `count` ways at once (drawn from `variations`): surrounding whitespace, case, a
    parameter, a list, a second line.

    Gateways that handle each variation alone often fail two together
    (`Respond-Async ` with a trailing space, `Respond-Async, wait=1`).
    """
    name = draw(st.sampled_from(RECOGNIZED))
    hows = set(draw(st.lists(st.sampled_from(variations), min_size=count, max_size=count, unique=True)))
    if "case" in hows:
        name = draw(cased(name).filter(lambda c: c != name))
    rest = draw(parameters(grammar)) if "params" in hows else lit("")
    mode = Element(name, rest, selects=Mode(name.lower()))
    the_line = Line((mode,))
    if "list" in hows:
        other = draw(non_mode_elements(grammar))
        sep = f"{draw(ows)},{draw(ows)}"
        the_line = Line((mode, other), (sep,)) if draw(st.booleans()) else Line((other, mode), (sep,))
    if "whitespace" in hows:
        lead, trail = draw(st.sampled_from(SURROUNDINGS))
        the_line = replace(the_line, lead=lead, trail=trail)
    lines: tuple[Line, ...] = (the_line,)
    if "lines" in hows:
        other_line = Line((draw(non_mode_elements(grammar)),))
        lines = (the_line, other_line) if draw(st.booleans()) else (other_line, the_line)
    return PreferCase(lines)


@st.composite
def recognized_cases(draw: st.DrawFn, grammar: bool) -> PreferCase:
    """A mode name in some case, maybe with parameters, among other preferences, on one of several lines."""
    name = draw(cased(draw(st.sampled_from(RECOGNIZED))))
    rest = lit("")
    for param in draw(st.lists(parameters(grammar), max_size=2)):
        rest = rest + param
    mode = Element(name, rest, selects=Mode(name.lower()))
    before = draw(st.lists(non_mode_elements(grammar), max_size=2))
    after = draw(st.lists(non_mode_elements(grammar), max_size=2))
    return PreferCase(draw(_surrounded(draw(_lines([*before, mode, *after])))))


@st.composite
def single_other_cases(draw: st.DrawFn, grammar: bool = False) -> PreferCase:
    """One preference that is not a mode (GW-PREF-03; with `grammar`, maybe with quoted-strings: GW-PREF-09)."""
    return PreferCase(draw(_surrounded((Line((draw(other_elements(grammar)),)),))))


@st.composite
def single_near_cases(draw: st.DrawFn) -> PreferCase:
    """One near miss (GW-PREF-04), maybe with whitespace around it."""
    return PreferCase(draw(_surrounded((Line((draw(near_elements()),)),))))


@st.composite
def single_trap_cases(draw: st.DrawFn) -> PreferCase:
    """One mode spelled inside another preference (GW-PREF-09), maybe with whitespace around it."""
    return PreferCase(draw(_surrounded((Line((draw(trap_elements()),)),))))


@st.composite
def other_cases(draw: st.DrawFn, grammar: bool) -> PreferCase:
    """One or more preferences none of which is a mode, on one or more lines."""
    elements = draw(st.lists(non_mode_elements(grammar), min_size=1, max_size=4))
    return PreferCase(draw(_surrounded(draw(_lines(elements)))))


#: what the Prefer property searches, kind by kind, each with its share of the examples, so that every
#: requirement is judged whatever the seed: (name, the requirements its values judge, strategy)
KINDS: tuple[tuple[str, tuple[str, ...], st.SearchStrategy[PreferCase]], ...] = (
    ("no header and the exact names", (PREF_02, PREF_01), st.one_of(st.just(PreferCase()), exact_cases())),
    ("other values", (PREF_03,), single_other_cases()),
    ("near misses", (PREF_04,), single_near_cases()),
    ("surrounding whitespace", (PREF_05,), varied_cases(1, variations=("whitespace",))),
    ("case", (PREF_06,), varied_cases(1, variations=("case",))),
    ("lists, parameters, lines", (PREF_07,), varied_cases(1, variations=("params", "list", "lines"))),
    ("combinations", (PREF_04, PREF_06, PREF_07),
     st.one_of(varied_cases(2), recognized_cases(grammar=False), other_cases(grammar=False))),
    ("grammar edges", (PREF_09,), st.one_of(
        single_trap_cases(), single_other_cases(grammar=True), varied_cases(2, grammar=True),
        recognized_cases(grammar=True), other_cases(grammar=True))),
)


def must_prefer_cases() -> st.SearchStrategy[PreferCase]:
    """Values without grammar edges: no quoted-string, no mode spelled where the grammar reads no name.

    The only values a MUST (GW-PREF-01..05) is judged on; they also carry
    the SHOULD variations of case, lists and parameters (GW-PREF-06, 07).
    """
    return st.one_of(*(strategy for name, _, strategy in KINDS if name != "grammar edges"))


def grammar_prefer_cases() -> st.SearchStrategy[PreferCase]:
    """Values with grammar edges (GW-PREF-09): quoted-strings, modes as parameters, values or quoted text."""
    return next(strategy for name, _, strategy in KINDS if name == "grammar edges")


def prefer_cases() -> st.SearchStrategy[PreferCase]:
    """Every kind of Prefer header a request may carry: the MUST-level values and the grammar's edges."""
    return st.one_of(must_prefer_cases(), grammar_prefer_cases())
