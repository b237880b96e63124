"""The `Prefer` header (RFC 7240) and the three asynchronous modes it selects.

One module owns this parsing: the reference gateway uses it to pick a mode,
the property strategies use it to know which mode a generated header must
select, and the mock container uses it to tell whether it was asked to
respond asynchronously.

Grammar (RFC 7240 §2, with RFC 9110 list rules)::

    Prefer     = 1#preference
    preference = token [ BWS "=" BWS word ] *( OWS ";" [ OWS parameter ] )
    parameter  = token [ BWS "=" BWS word ]
    word       = token / quoted-string

Several header lines are one comma-separated list. Names compare
case-insensitively; a name is matched whole, so near misses such as
`respond-asyncx` or `respond_async` are just other preferences.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["Mode", "Preference", "parse", "select_mode", "rewrite", "MODE_TOKENS"]


class Mode(str, enum.Enum):
    """How a gateway processes a request."""

    SYNC = "sync"
    ASYNC = "respond-async"
    PROXY = "respond-async-proxy"
    CONTAINER = "respond-async-container"


#: The preference names that select an asynchronous mode (lower case).
MODE_TOKENS: dict[str, Mode] = {
    Mode.ASYNC.value: Mode.ASYNC,
    Mode.PROXY.value: Mode.PROXY,
    Mode.CONTAINER.value: Mode.CONTAINER,
}


@dataclass(frozen=True)
class Preference:
    """One list element of a `Prefer` header."""

    name: str  # as written; compare with `.key`
    value: str | None = None
    params: tuple[tuple[str, str | None], ...] = field(default=())

    @property
    def key(self) -> str:
        return self.name.lower()


_SEPARATORS = set('(),/:;<=>?@[\\]{}"')


def _is_tchar(char: str) -> bool:
    return 32 < ord(char) < 127 and char not in _SEPARATORS


def _split_outside_quotes(text: str, delimiter: str) -> list[str]:
    """Split on `delimiter`, but never inside a quoted-string."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _unquote(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] == '"':
        inner = word[1:-1]
        out: list[str] = []
        escaped = False
        for char in inner:
            if escaped:
                out.append(char)
                escaped = False
            elif char == "\\":
                escaped = True
            else:
                out.append(char)
        return "".join(out)
    return word


def _name_value(text: str) -> tuple[str, str | None] | None:
    """`token [BWS "=" BWS word]`, or None when `text` is not of that form."""
    name, sep, value = text.partition("=")
    name = name.strip(" \t")
    if not name or not all(_is_tchar(c) for c in name):
        return None
    if not sep:
        return name, None
    return name, _unquote(value.strip(" \t"))


def _parse_element(element: str) -> Preference | None:
    head, *rest = _split_outside_quotes(element, ";")
    parsed = _name_value(head)
    if parsed is None:
        return None
    params = []
    for raw in rest:
        if not raw.strip(" \t"):
            continue  # `;` with no parameter is allowed by the grammar
        param = _name_value(raw)
        if param is not None:
            params.append(param)
    return Preference(name=parsed[0], value=parsed[1], params=tuple(params))


def parse(values: Iterable[str] | str | None) -> list[Preference]:
    """Every preference in one or more `Prefer` header values, in order.

    Elements that do not fit the grammar are skipped: they can never select
    a mode, which is what "anything else" means for a gateway.
    """
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    prefs: list[Preference] = []
    for value in values:
        for element in _split_outside_quotes(value, ","):
            if not element.strip(" \t"):
                continue  # empty list elements are allowed (RFC 9110 §5.6.1)
            pref = _parse_element(element)
            if pref is not None:
                prefs.append(pref)
    return prefs


def select_mode(values: Iterable[str] | str | None) -> Mode:
    """The mode a request with these `Prefer` values is processed in.

    The first recognized preference wins (RFC 7240 §2: of a repeated
    preference only the first counts; two different recognized ones are a
    choice the contract leaves open, GW-PREF-08, and first-wins is the
    choice nearest to that rule).
    """
    for pref in parse(values):
        mode = MODE_TOKENS.get(pref.key)
        if mode is not None:
            return mode
    return Mode.SYNC


def _is_recognized(element: str) -> bool:
    pref = _parse_element(element) if element.strip(" \t") else None
    return pref is not None and pref.key in MODE_TOKENS


def rewrite(values: Iterable[str] | str | None, replacement: str | None = None) -> list[str]:
    """The `Prefer` lines a gateway forwards once it has acted on the mode.

    Every recognized element (any of the three mode names, with whatever
    parameters it carried) is a directive to the gateway, so it is removed;
    `replacement`, when given, takes the place of the first one. Lines that
    hold no recognized element come back byte for byte; lines left empty
    are dropped, so an empty list means "send no Prefer header".
    """
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    lines: list[str] = []
    pending = replacement
    for value in values:
        elements = _split_outside_quotes(value, ",")
        if not any(_is_recognized(element) for element in elements):
            lines.append(value)
            continue
        kept: list[str] = []
        for element in elements:
            if _is_recognized(element):
                if pending is not None:
                    kept.append(pending)
                    pending = None
            elif element.strip(" \t"):
                kept.append(element.strip(" \t"))
        if kept:
            lines.append(", ".join(kept))
    return lines
