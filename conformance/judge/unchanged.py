"""The one rule for "the container got the request unchanged".

Every check and property that compares what a client sent with what reached
the container (GW-SYNC-01, GW-SYNC-03, GW-SYNC-05, GW-ASYNC-07, GW-PROXY-03,
GW-CONT-01 and the properties beside them) asks `differences`, so one
exchange cannot pass in one check and fail in another.

What is compared, and what is tolerated:
- method: exactly.
- path: after RFC 3986 §6.2.2 normalization, that is percent-encodings
  upper-cased (`%2f` = `%2F`, §6.2.2.1) and encodings of unreserved characters
  decoded (`%7E` = `~`, §6.2.2.2). Both are equivalences the RFC grants every
  intermediary. A percent-encoded reserved character is NOT its decoded form
  (`%2F` is not `/`, §2.2) and an empty segment is not a merged one (`//` is
  not `/`): those differences are reported. The MUSTs are judged only on
  paths that hold neither, so a gateway that normalises them fails GW-SYNC-05
  (SHOULD) alone; that is a matter of which paths a check sends, not of this
  rule.
- query: as its decoded name/value pairs in order (`%2C` = `,`, `+` = space):
  a gateway that re-encodes an equivalent query is not changing it.
- body: its size and sha256, byte for byte.
- Content-Type: the same value (surrounding whitespace aside), and absent
  when the client sent none.
- headers named by the caller (custom `X-*` headers): the same values, in order.
- the `Prefer` lines of a request the gateway processed synchronously
  (`same_field_lines`): the same lines, whitespace around each aside (it is
  not part of a field value, RFC 9110 §5.5), and several lines may arrive
  combined into comma-separated lines (RFC 9110 §5.3 lets any recipient do
  that). Nothing inside a line may change: not its case, its spacing
  after a comma, or a quoted-string.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

__all__ = ["RequestShape", "differences", "normalize_path", "same_path", "same_field_lines", "UNRESERVED"]

#: RFC 3986 §2.3
UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")


def normalize_path(path: str) -> str:
    """RFC 3986 §6.2.2.1-2: upper-case percent-encodings, decode the ones of unreserved characters."""

    def one(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in UNRESERVED else f"%{match.group(1).upper()}"

    return _PCT.sub(one, path)


def same_path(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and normalize_path(a) == normalize_path(b)


_OWS = " \t"


def same_field_lines(sent: Sequence[str], got: Sequence[str] | None) -> bool:
    """Whether the field lines `got` are the lines `sent`, as a recipient may legally pass them on."""
    sent_lines = [line.strip(_OWS) for line in sent]
    got_lines = [line.strip(_OWS) for line in got or []]
    if sent_lines == got_lines:
        return True
    # several lines are one list (RFC 9110 §5.3): they may arrive regrouped, joined by a comma
    return len(sent_lines) > 1 and any(sep.join(sent_lines) == sep.join(got_lines) for sep in (", ", ","))


@dataclass(frozen=True)
class RequestShape:
    """What a request was, as far as "unchanged" is concerned."""

    method: str
    path: str
    query: str
    body_size: int
    body_sha256: str
    content_type: str | None
    headers: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @classmethod
    def sent(cls, method: str, path: str, query: str, body: bytes, content_type: str | None,
             headers: Sequence[tuple[str, str]] = ()) -> "RequestShape":
        return cls(method, path, query, len(body), hashlib.sha256(body).hexdigest(), content_type, tuple(headers))

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]


def _pairs(query: str | None) -> list[tuple[str, str]]:
    return parse_qsl(query or "", keep_blank_values=True)


def differences(sent: RequestShape, got: RequestShape, headers: Sequence[str] = ()) -> list[str]:
    """How `got` (what reached the container) differs from `sent`, one phrase each; [] when unchanged."""
    found = []
    if got.method != sent.method:
        found.append(f"method {got.method!r} instead of {sent.method!r}")
    if not same_path(got.path, sent.path):
        found.append(f"path {got.path!r} instead of {sent.path!r}")
    if _pairs(got.query) != _pairs(sent.query):
        found.append(f"query {got.query!r} instead of {sent.query!r}")
    if (got.body_size, got.body_sha256) != (sent.body_size, sent.body_sha256):
        found.append(f"a body of {got.body_size} bytes (sha256 {got.body_sha256[:12]}…) "
                     f"instead of {sent.body_size} bytes (sha256 {sent.body_sha256[:12]}…)")
    got_type = got.content_type.strip() if got.content_type is not None else None
    sent_type = sent.content_type.strip() if sent.content_type is not None else None
    if got_type != sent_type:
        found.append(f"Content-Type {got.content_type!r} instead of {sent.content_type!r}")
    for name in dict.fromkeys(name.lower() for name in headers):
        if got.header_values(name) != sent.header_values(name):
            found.append(f"header {name} {got.header_values(name)!r} instead of {sent.header_values(name)!r}")
    return found
