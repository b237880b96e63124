"""What never reaches a report: credentials, by name, by value, and in the forms they travel in.

Rules, applied before anything is written:
- by header name (`Recorder` in recording.py, on every recorded header
  line): the value of a header that looks like a credential
  (`Authorization`, `Cookie`, `*-Key`, `*-Token`, `*-Secret`, ...) or that
  the run was told to redact (every `-H` extra header) becomes `<redacted>`;
- in URLs (`redact_url`, on every recorded URL and every string of the
  document): userinfo (`https://user:pass@host`) and the values of
  credential-looking query parameters (`?key=`, `token`, `api_key`, `sig`,
  `X-Amz-Signature`...);
- by name inside texts (`scrub`): header pairs `["Authorization", "..."]`,
  JSON fields `"api_key": "..."` and header lines `Authorization: ...` with a
  credential name, wherever a body shows them (the mock's journal lists the
  headers the gateway sent to the container, the gateway's own container
  token included; a container echo repeats them);
- by value (`scrub`, on the whole result document): the run's secrets (every
  `-H` value, the credential after an auth scheme, URL userinfo and
  credential query values) and every credential the by-name rules found,
  in their plain, percent-encoded, JSON-escaped and base64 forms (base64 at
  each of its three alignments inside a longer stream); a secret cut where a
  text was cut (a body kept to its first `TEXT_KEEP` characters, a message
  shortened with "…") leaves a prefix, which goes too;
- short secrets (under `MIN_SECRET_LENGTH`) cannot be replaced wherever they
  occur without destroying the report ("1" is everywhere), so they go only
  where they stand whole: a string (a header value) equal to them, a JSON
  string `"..."` equal to them, or a header line naming them.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import enum
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus, unquote, urlsplit

from conformance.http.records import REDACTED

__all__ = ["REDACTED", "MIN_SECRET_LENGTH", "Secrets", "is_credential_header", "is_credential_param", "redact_url",
           "url_secrets", "secret_values", "scrub", "scrub_text"]


_CREDENTIAL_NAMES = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key",
                               "apikey", "x-amz-security-token"})
_CREDENTIAL_SUFFIX = re.compile(r"(^|[-_.])(key|apikey|token|secret|password|passwd|pwd|credentials?|signature|sig)$",
                                re.IGNORECASE)
#: shorter values are not replaced wherever they occur: replacing "1" everywhere would destroy the report
MIN_SECRET_LENGTH = 6
#: the shortest prefix of a cut secret that is redacted (shorter ones tell too little, and match too much)
MIN_PREFIX = 4
#: the shortest base64 core (the part fixed by the secret alone) that is searched for
MIN_BASE64_CORE = 8

_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]{0,15}://)([^\s/?#@\"'<>\\]+)@")
_QUERY_PAIR = re.compile(r"([?&;]([A-Za-z0-9_.\-]{1,64})=)([^&#\s\"'<>\\]*)")
#: ["Name", "value"] (the mock's journal and echo), "Name": "value" (JSON objects), Name: value (header lines)
_JSON_PAIR = re.compile(r'(\[\s*"([^"\\]{1,100})"\s*,\s*")((?:[^"\\]|\\.)*)(")')
_JSON_FIELD = re.compile(r'("([^"\\]{1,100})"\s*:\s*")((?:[^"\\]|\\.)*)(")')
_HEADER_LINE = re.compile(r"(?im)^([ \t>]*([A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}):[ \t]*)(\S[^\r\n]*?)([ \t]*)$")
#: where a text was cut: `show`'s marker, an ellipsis, or the end of the text
_CUT = re.compile(r"(…(?: \[\d+ chars\])?|\.\.\.|\Z)")
#: texts shorter than this were not cut at their end (bodies are kept to TEXT_KEEP, messages to a few hundred)
MIN_CUT_LENGTH = 100


def is_credential_header(name: str) -> bool:
    """`Authorization`, `Cookie`, `X-Api-Key`, `X-Auth-Token`, `Client-Secret`... look like credentials."""
    lower = name.strip().lower()
    return lower in _CREDENTIAL_NAMES or bool(_CREDENTIAL_SUFFIX.search(lower))


def is_credential_param(name: str) -> bool:
    """`key`, `token`, `api_key`, `access_token`, `sig`, `X-Amz-Signature`... look like credentials in a query."""
    lower = unquote(name).strip().lower()
    return lower in ("key", "token", "sig", "signature", "secret", "password", "passwd", "pwd", "auth", "apikey") \
        or is_credential_header(lower)


def redact_url(url: str) -> str:
    """`url` (or any text holding URLs) without userinfo and without the values of credential query parameters."""
    text = _URL_USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", url)
    return _QUERY_PAIR.sub(lambda m: m.group(1) + REDACTED if is_credential_param(m.group(2)) and m.group(3)
                           and m.group(3) != REDACTED else m.group(0), text)


def url_secrets(url: str | None) -> list[str]:
    """The secrets a URL the run was given carries: its userinfo, its password, its credential query values."""
    if not url:
        return []
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found: list[str] = []
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at and userinfo:
        found += [userinfo, unquote(userinfo)]
        user, colon, password = userinfo.partition(":")
        if colon and password:
            found += [password, unquote(password)]
        elif user:
            found += [user, unquote(user)]  # a bare token as the user name (`https://TOKEN@host`)
    for match in _QUERY_PAIR.finditer("?" + parts.query):
        if is_credential_param(match.group(2)) and match.group(3):
            found += [match.group(3), unquote(match.group(3))]
    return found


@dataclasses.dataclass(frozen=True)
class Secrets:
    """What `scrub` replaces: long values (and their encoded forms) anywhere, short values where they stand whole."""

    values: tuple[str, ...] = ()
    short: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.values or self.short)

    @classmethod
    def of(cls, raw: Iterable[str]) -> "Secrets":
        values: set[str] = set()
        short: set[str] = set()
        for value in raw:
            value = value.strip()
            if not value or value == REDACTED:
                continue
            for item in _with_credential(value):
                (values if len(item) >= MIN_SECRET_LENGTH else short).add(item)
        return cls(tuple(sorted(values, key=len, reverse=True)), tuple(sorted(short, key=len, reverse=True)))

    def plus(self, raw: Iterable[str]) -> "Secrets":
        return Secrets.of([*self.values, *self.short, *raw])

    def forms(self) -> list[str]:
        """Every long secret in every form it may travel in, longest first (so "Bearer KEY" goes whole before "KEY")."""
        found: set[str] = set()
        for value in self.values:
            found.update(form for form in _encodings(value) if len(form) >= MIN_SECRET_LENGTH)
        return sorted(found, key=len, reverse=True)

    def short_forms(self) -> list[str]:
        found: set[str] = set()
        for value in self.short:
            found.update(form for form in _encodings(value, base64_forms=False) if form)
        return sorted(found, key=len, reverse=True)


def _with_credential(value: str) -> list[str]:
    """A header value and the credential inside it: "Bearer KEY" -> KEY; "Basic b64(user:pass)" -> user:pass, pass."""
    found = [value]
    scheme, _, credential = value.partition(" ")
    credential = credential.strip()
    if credential and scheme.isalpha():
        found.append(credential)  # a gateway may forward only KEY
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credential, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                decoded = ""
            if decoded:
                found.append(decoded)
                user, colon, password = decoded.partition(":")
                found.append(password if colon and password else user)
    return [item for item in found if item]


def _base64_forms(data: bytes) -> set[str]:
    """The secret's base64 at the start of a stream, and the cores it leaves at each of the three alignments."""
    forms = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(data).decode("ascii")
        forms.update({whole, whole.rstrip("=")})
        for shift in range(3):
            text = encode(b"\0" * shift + data).decode("ascii").rstrip("=")
            start = 4 if shift else 0  # the first group also holds bytes that are not the secret's
            end = ((shift + len(data)) // 3) * 4  # a last partial group depends on what follows
            core = text[start:end]
            if len(core) >= MIN_BASE64_CORE:
                forms.add(core)
    return forms


def _encodings(value: str, *, base64_forms: bool = True) -> set[str]:
    forms = {value, quote(value, safe=""), quote(value), quote_plus(value), quote(value, safe="").lower()}
    percent = quote(value, safe="")
    forms.add(re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), percent))
    for ascii_only in (True, False):
        escaped = json.dumps(value, ensure_ascii=ascii_only)[1:-1]
        forms.update({escaped, escaped.replace("/", "\\/")})
    if base64_forms:
        forms.update(_base64_forms(value.encode("utf-8")))
    forms.discard(REDACTED)
    return forms


def secret_values(headers: Iterable[tuple[str, str]], urls: Iterable[str | None] = ()) -> Secrets:
    """The run's secrets: each extra header's value (and the credential after its scheme), and what its URLs carry."""
    raw = [value for _, value in headers]
    for url in urls:
        raw += url_secrets(url)
    return Secrets.of(raw)


# -- finding credentials by name inside texts ------------------------------------------------------

def _unescape_json(text: str) -> str:
    try:
        return json.loads(f'"{text}"')
    except ValueError:
        return text


def _credential_field(name: str) -> bool:
    """A credential's name inside a text; a bare `key` is no header and names the mock's sink keys."""
    return name.strip().lower() != "key" and is_credential_header(name)


def _named_values(text: str) -> list[str]:
    """Values texts give under a credential name (journal header pairs, JSON fields, header lines)."""
    found = []
    for pattern in (_JSON_PAIR, _JSON_FIELD):
        for match in pattern.finditer(text):
            if _credential_field(match.group(2)) and match.group(3) and REDACTED not in match.group(3):
                found.append(_unescape_json(match.group(3)))
    for match in _HEADER_LINE.finditer(text):
        if _credential_field(match.group(2)) and REDACTED not in match.group(3):
            found.append(match.group(3))
    return found


def _redact_named(text: str) -> str:
    def value(match: re.Match[str]) -> str:
        if not _credential_field(match.group(2)) or not match.group(3):
            return match.group(0)
        return match.group(1) + REDACTED + match.group(4)

    for pattern in (_JSON_PAIR, _JSON_FIELD, _HEADER_LINE):
        text = pattern.sub(value, text)
    return text


def _strings(value: Any) -> Iterable[str]:
    """Every string `value` holds (dataclasses, lists, tuples, dicts), base64 fields decoded."""
    if isinstance(value, enum.Enum):
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            current = getattr(value, item.name)
            if item.name == "base64" and isinstance(current, str):
                yield _decoded(current)
            else:
                yield from _strings(current)


def _decoded(data: str) -> str:
    try:
        return base64.b64decode(data).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""


def discovered(value: Any) -> list[str]:
    """Credentials a document shows under a credential name, though the run was not told them."""
    found: list[str] = []
    for text in _strings(value):
        if ":" in text or '"' in text:
            found += _named_values(text)
    return found


# -- replacing ---------------------------------------------------------------------------------------

@dataclasses.dataclass
class _Plan:
    """A `Secrets` prepared once for a whole document."""

    forms: list[str]
    short: frozenset[str]
    short_quoted: list[str]
    short_lines: re.Pattern[str] | None

    @classmethod
    def of(cls, secrets: Secrets) -> "_Plan":
        short_forms = secrets.short_forms()
        lines = None
        if secrets.short:
            alternatives = "|".join(re.escape(s) for s in secrets.short)
            lines = re.compile(rf"(?im)^([ \t>]*[A-Za-z0-9!#$%&'*+.^_`|~-]{{1,100}}:[ \t]*(?:[A-Za-z]+ )?)({alternatives})[ \t]*$")
        return cls(secrets.forms(), frozenset(secrets.short) | {f"{scheme} {s}" for s in secrets.short
                                                                 for scheme in ("Bearer", "Basic", "Token")},
                   [f'"{form}"' for form in short_forms], lines)


def _cut_prefixes(text: str, forms: list[str]) -> str:
    """A secret cut where the text was cut (its end, or a "…" marker) leaves a prefix: redact it."""
    if not forms or ("…" not in text and "..." not in text and len(text) < MIN_CUT_LENGTH):
        return text
    out, last = [], 0
    for match in _CUT.finditer(text):
        head = text[last:match.start()]
        for form in forms:
            longest = min(len(form) - 1, len(head))
            cut = next((n for n in range(longest, MIN_PREFIX - 1, -1) if head.endswith(form[:n])), 0)
            if cut:
                head = head[:-cut] + REDACTED
                break
        out.append(head + match.group())
        last = match.end()
        if match.end() == len(text):
            break
    out.append(text[last:])
    return "".join(out)


def scrub_text(text: str, secrets: Secrets | _Plan) -> str:
    """One string with every credential the rules above find replaced by `<redacted>`."""
    plan = secrets if isinstance(secrets, _Plan) else _Plan.of(secrets)
    if plan.short and text.strip() in plan.short:
        return REDACTED
    for form in plan.forms:
        if form in text:
            text = text.replace(form, REDACTED)
    if "://" in text or "=" in text:
        text = redact_url(text)
    if ":" in text or '"' in text:
        text = _redact_named(text)
    for quoted in plan.short_quoted:
        if quoted in text:
            text = text.replace(quoted, f'"{REDACTED}"')
    if plan.short_lines is not None:
        text = plan.short_lines.sub(lambda m: m.group(1) + REDACTED, text)
    return _cut_prefixes(text, plan.forms)


def _scrub_base64(data: str, plan: _Plan) -> str:
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return ""
    for form in plan.forms:
        raw = raw.replace(form.encode("utf-8"), REDACTED.encode())
    return base64.b64encode(raw).decode("ascii")


def scrub(value: Any, secrets: Secrets | Iterable[str]) -> Any:
    """`value` with every credential replaced, in every string it holds (dataclasses are changed in place).

    The secrets given are joined by the credentials the document itself
    shows under a credential name (the gateway's own token to the container
    in a journal answer), so their other appearances go too.
    """
    base = secrets if isinstance(secrets, Secrets) else Secrets.of(secrets)
    plan = _Plan.of(base.plus(discovered(value)))
    return _walk(value, plan)


def _walk(value: Any, plan: _Plan) -> Any:
    if isinstance(value, enum.Enum):
        return value
    if isinstance(value, str):
        return scrub_text(value, plan)
    if isinstance(value, list):
        value[:] = [_walk(item, plan) for item in value]
        return value
    if isinstance(value, tuple):
        return tuple(_walk(item, plan) for item in value)
    if isinstance(value, dict):
        for key in list(value):
            value[key] = _walk(value[key], plan)
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            current = getattr(value, item.name)
            if item.name == "base64" and isinstance(current, str):
                setattr(value, item.name, _scrub_base64(current, plan))
            elif not isinstance(current, (int, float, bool)) and current is not None:
                setattr(value, item.name, _walk(current, plan))
        return value
    return value
