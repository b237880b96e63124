"""Inference requests a client may send: methods, encoded paths, queries, bodies, content types.

Everything generated is something the contract says reaches the container
as sent, and nothing more: no dot segments (which URI normalization may
legally remove, and which the reference refuses when they climb out of the
deployment), no `%00`, no bytes that are not UTF-8 once decoded, no query
keys or headers the mock container would read as behaviour fields, and no
body on GET and DELETE. Two paths are the same when they are equal after
RFC 3986 §6.2.2 normalization (`conformance.judge.unchanged`): `%7e` and
`~` are one path, `%2F` and `/` two.

Paths come in two levels, as the contract's "Levels" paragraph asks:

- MUST-level paths (`paths()`, the default of `requests()`) hold plain
  path characters, percent-encoded unreserved characters (normalization
  decodes them) and percent-encoded non-ASCII UTF-8: what real clients
  send, and what every legal gateway and reverse proxy passes on;
- with `edges=True` a path may also hold percent-encoded reserved and
  other ASCII characters (`%2F`, `%3F`, `%23`, `%25`, `%3B`, `%22`...) and
  empty segments (`//`), which only GW-SYNC-05 (SHOULD) judges: a proxy
  that decodes `%2F` or merges slashes (nginx `proxy_pass http://up/;`,
  Starlette's decoded path parameter) breaks no real client.

Each request carries its *plain twin* path (`GeneratedRequest.plain_path`):
the same path with every edge taken out, so a check can tell a gateway
that fails only on the edge (GW-SYNC-05) from one that fails the MUST.
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from hypothesis import strategies as st

from conformance.judge.unchanged import UNRESERVED, normalize_path

__all__ = [
    "GeneratedRequest",
    "requests",
    "paths",
    "GeneratedPath",
    "queries",
    "bodies",
    "BODY_METHODS",
    "MUST_METHODS",
    "SHOULD_METHODS",
    "climbs",
]

#: methods whose body the contract asks to be forwarded (GET and DELETE are sent without one)
BODY_METHODS = ("POST", "PUT", "PATCH")
#: GW-SYNC-01 names POST and GET; the others are GW-SYNC-03
MUST_METHODS = ("GET", "POST")
SHOULD_METHODS = ("PUT", "PATCH", "DELETE")

#: allowed as they are in a path segment (RFC 3986 pchar without pct-encoded)
SEGMENT_CHARS = UNRESERVED + "!$&'()*+,;=:@"
#: percent-encoded in MUST-level paths: unreserved characters (equal to their encoding) and non-ASCII
MUST_ENCODED = "~-._aZ09é✓日"
#: percent-encoded only in edge paths (GW-SYNC-05): reserved characters, `%` and ASCII that is no URI character
EDGE_ENCODED = "/?#%[] \"<>\\^`{|},;=:@+&!$'()*"
#: what an edge piece becomes in the plain twin
PLAIN_PIECE = "_"
#: Content-Types of generated bodies (None: no Content-Type at all)
CONTENT_TYPES = (
    None,
    "application/json",
    "text/plain; charset=utf-8",
    "application/octet-stream",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=conformance-boundary",
    "image/png",
    "application/vnd.conformance.item+json; version=2",
)
_DOT_SPLIT = re.compile(r"[/\\;]")


def _encode(char: str, lower: bool) -> str:
    text = quote(char, safe="")
    if text == char:  # quote leaves unreserved characters alone
        text = "".join(f"%{byte:02X}" for byte in char.encode())
    return text.lower() if lower else text


def climbs(segment: str) -> bool:
    """A segment that some reading makes a dot segment: percent-decoded and split on `/`, `\\` and `;`,
    a piece is `.` or `..` (`..%2F..`, `..%5C`, `..;x`, `.%2E`). Never generated: servers resolve or refuse them."""
    return any(piece in (".", "..") for piece in _DOT_SPLIT.split(unquote(segment, errors="replace")))


@dataclass(frozen=True)
class GeneratedPath:
    """A path as it goes on the wire, and its plain twin (the same without GW-SYNC-05 edges)."""

    wire: str
    plain: str

    @property
    def edges(self) -> bool:
        return self.wire != self.plain


@st.composite
def _segment(draw: st.DrawFn, edges: bool) -> tuple[str, str]:
    """(wire, plain) of one segment: plain characters, sub-delimiters and percent-encoded ones (never a dot segment)."""
    kinds = [
        st.text(st.sampled_from(UNRESERVED), min_size=1, max_size=8).map(lambda t: (t, t)),
        st.sampled_from(SEGMENT_CHARS[len(UNRESERVED):]).map(lambda t: (t, t)),
        st.builds(_encode, st.sampled_from(MUST_ENCODED), st.booleans()).map(lambda t: (t, t)),
    ]
    if edges:
        kinds.append(st.builds(_encode, st.sampled_from(EDGE_ENCODED), st.booleans()).map(lambda t: (t, PLAIN_PIECE)))
    pieces = draw(st.lists(st.one_of(kinds), min_size=1, max_size=4))
    wire, plain = "".join(p[0] for p in pieces), "".join(p[1] for p in pieces)
    if climbs(wire) or climbs(plain):
        wire, plain = wire + "x", plain + "x"  # `..x`, `.%2Ex` and the like are plain names
    return wire, plain


@st.composite
def generated_paths(draw: st.DrawFn, edges: bool = False) -> GeneratedPath:
    """`/a/b%C3%A9/...`: one to four segments below the inference base; with `edges`, maybe `%2F` and `//` too."""
    parts = draw(st.lists(_segment(edges).filter(lambda pair: not climbs(pair[0]) and not climbs(pair[1])),
                          min_size=1, max_size=4))
    if normalize_path(parts[0][1]).lower() == "tasks" or normalize_path(parts[0][0]).lower() == "tasks":
        parts[0] = (parts[0][0] + "-x", parts[0][1] + "-x")  # the mock container serves GET /tasks/<id> itself
    wire = [p[0] for p in parts]
    plain = [p[1] for p in parts]
    if edges and draw(st.booleans()):
        at = draw(st.integers(1, len(wire)))  # an empty segment inside or after the first: `/a//b`
        wire.insert(at, "")
        if at == len(wire) - 1:
            wire.append(draw(_segment(False).filter(lambda pair: not climbs(pair[0])))[0])
            plain.append(wire[-1])
    return GeneratedPath("/" + "/".join(wire), "/" + "/".join(plain))


def paths(edges: bool = False) -> st.SearchStrategy[str]:
    """Paths as they go on the wire (MUST-level unless `edges`)."""
    return generated_paths(edges).map(lambda p: p.wire)


_QUERY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=10)


@st.composite
def queries(draw: st.DrawFn) -> tuple[tuple[str, str], ...]:
    """Decoded query pairs: repeated keys, empty values, spaces, reserved and non-ASCII characters."""
    keys = st.one_of(st.sampled_from(("q", "model", "a", "a[]", "x y", "n")), _QUERY_TEXT.filter(bool))
    pairs = draw(st.lists(st.tuples(keys, _QUERY_TEXT), max_size=4))
    # keys starting with mock- are behaviour fields of the mock container, not the client's
    return tuple((k if not k.lower().startswith("mock-") else "x" + k, v) for k, v in pairs)


def _not_behaviour(body: bytes) -> bool:
    """A JSON object with a `mock` key would be read by the mock container as behaviour fields."""
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return True
    return not (isinstance(value, dict) and "mock" in value)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)


def bodies(max_size: int = 2048) -> st.SearchStrategy[bytes]:
    """Binary (certainly non-UTF-8 in one share: small drawn bytes are mostly ASCII), text in any script, JSON."""
    return st.one_of(
        st.binary(max_size=max_size - 2).map(lambda tail: b"\xff\xfe" + tail),
        st.binary(max_size=max_size),
        st.text(max_size=max_size // 4).map(lambda t: t.encode("utf-8")),
        _JSON.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8")),
    ).filter(_not_behaviour)


_HEADER_VALUE = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=16)


@dataclass(frozen=True)
class GeneratedRequest:
    """A request as it goes to the gateway, below the inference base."""

    method: str
    path: str  # percent-encoded, as on the wire
    query: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = field(default=())  # custom X- request headers
    #: the path without GW-SYNC-05 edges (encoded reserved characters, empty segments); None: `path` has none
    plain_path: str | None = None

    @property
    def path_edges(self) -> bool:
        """The path holds something only GW-SYNC-05 judges."""
        return self.plain_path is not None and self.plain_path != self.path

    @property
    def ids_level(self) -> str:
        """MUST for GET and POST (GW-SYNC-01), SHOULD for the other methods and custom headers (GW-SYNC-03)."""
        return "MUST" if self.method in MUST_METHODS and not self.headers else "SHOULD"

    def describe(self) -> str:
        parts = [f"{self.method} {self.path}"]
        if self.query:
            parts.append(f"query {list(self.query)!r}")
        parts.append(f"body {len(self.body)} bytes {self.body[:48]!r}" if self.body else "no body")
        parts.append(f"Content-Type {self.content_type!r}")
        if self.headers:
            parts.append(f"headers {list(self.headers)!r}")
        return ", ".join(parts)


@st.composite
def requests(draw: st.DrawFn, methods: tuple[str, ...] = (*MUST_METHODS, *SHOULD_METHODS),
             headers: bool = True, max_body: int = 2048, edges: bool = False) -> GeneratedRequest:
    """A request in one of `methods`; bodies only for POST, PUT and PATCH; with `edges`, GW-SYNC-05 paths too."""
    method = draw(st.sampled_from(methods))
    body, content_type = b"", None
    if method in BODY_METHODS:
        body = draw(bodies(max_body))
        content_type = draw(st.sampled_from(CONTENT_TYPES))
    custom: tuple[tuple[str, str], ...] = ()
    if headers:
        names = st.text(st.sampled_from(string.ascii_letters + string.digits + "-"), min_size=1, max_size=10)
        custom = tuple((f"X-Prop-{name}", value) for name, value in draw(st.lists(st.tuples(names, _HEADER_VALUE), max_size=2)))
    path = draw(generated_paths(edges))
    return GeneratedRequest(method, path.wire, draw(queries()), body, content_type, custom,
                            path.plain if path.edges else None)
