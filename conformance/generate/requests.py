"""Inference requests a client may send: methods, encoded paths, queries, bodies, content types.

Everything generated is something the contract says reaches the container
as sent, and nothing more: no dot segments or empty segments (which URI
normalization and slash merging may legally change), no `%00`, no bytes
that are not UTF-8 once decoded, no query keys or headers the mock
container would read as behaviour fields, and no body on GET and DELETE.
Two paths are the same when they are equal after RFC 3986 §6.2.2
normalization (`conformance.judge.unchanged.same_path`): `%7e` and `~` are one path, `%2F` and `/` two.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, field
from urllib.parse import quote

from hypothesis import strategies as st

from conformance.judge.unchanged import UNRESERVED, normalize_path

__all__ = [
    "GeneratedRequest",
    "requests",
    "paths",
    "queries",
    "bodies",
    "BODY_METHODS",
]

#: methods whose body the contract asks to be forwarded (GET and DELETE are sent without one)
BODY_METHODS = ("POST", "PUT", "PATCH")
#: GW-SYNC-01 names POST and GET; the others are GW-SYNC-03
MUST_METHODS = ("GET", "POST")
SHOULD_METHODS = ("PUT", "PATCH", "DELETE")

#: allowed as they are in a path segment (RFC 3986 pchar without pct-encoded)
SEGMENT_CHARS = UNRESERVED + "!$&'()*+,;=:@"
#: characters a client must (or may) percent-encode in a segment; `%2F` is the one that matters most
ENCODED_CHARS = "/?#%[] \"<>\\^`{|},;=:@+&é✓日"
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

def _encode(char: str, lower: bool) -> str:
    text = quote(char, safe="")
    if text == char:  # quote leaves unreserved characters alone
        text = "".join(f"%{byte:02X}" for byte in char.encode())
    return text.lower() if lower else text


@st.composite
def segments(draw: st.DrawFn) -> str:
    """One path segment: plain characters, sub-delimiters and percent-encoded ones (never empty, `.` or `..`)."""
    pieces = draw(st.lists(st.one_of(
        st.text(st.sampled_from(UNRESERVED), min_size=1, max_size=8),
        st.sampled_from(SEGMENT_CHARS[len(UNRESERVED):]),
        st.builds(_encode, st.sampled_from(ENCODED_CHARS), st.booleans()),
    ), min_size=1, max_size=4))
    segment = "".join(pieces)
    if normalize_path(segment).strip(".") == "":
        segment += "x"
    return segment


@st.composite
def paths(draw: st.DrawFn) -> str:
    """`/a/b%2Fc/...`: one to four segments below the inference base, as they go on the wire."""
    parts = draw(st.lists(segments(), min_size=1, max_size=4))
    if normalize_path(parts[0]).lower() == "tasks":  # the mock container serves GET /tasks/<id> itself
        parts[0] += "-x"
    return "/" + "/".join(parts)


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
    """Binary (non-UTF-8 included), text in any script, and JSON bodies."""
    return st.one_of(
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
             headers: bool = True, max_body: int = 2048) -> GeneratedRequest:
    """A request in one of `methods`; bodies only for POST, PUT and PATCH."""
    method = draw(st.sampled_from(methods))
    body, content_type = b"", None
    if method in BODY_METHODS:
        body = draw(bodies(max_body))
        content_type = draw(st.sampled_from(CONTENT_TYPES))
    custom: tuple[tuple[str, str], ...] = ()
    if headers:
        names = st.text(st.sampled_from(string.ascii_letters + string.digits + "-"), min_size=1, max_size=10)
        custom = tuple((f"X-Prop-{name}", value) for name, value in draw(st.lists(st.tuples(names, _HEADER_VALUE), max_size=2)))
    return GeneratedRequest(method, draw(paths()), draw(queries()), body, content_type, custom)
