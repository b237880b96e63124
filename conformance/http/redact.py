"""What never reaches a report: credentials, by header name and by value.

Two rules, applied before anything is written:
- by name (`Recorder` in session.py, on every recorded header line): the
  value of a header that looks like a credential (`Authorization`,
  `Cookie`, `*-Key`, `*-Token`, `*-Secret`, ...) or that the run was told to
  redact (every `-H` extra header) becomes `<redacted>`;
- by value (`scrub`, on the whole result document): the credential values
  the run sent can still come back inside bodies (a container echoing the
  headers it got, a journal entry, a failure message quoting a body); every
  occurrence of them in any string of the document is replaced too.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import re
from collections.abc import Iterable
from typing import Any

from conformance.http.records import REDACTED

__all__ = ["REDACTED", "is_credential_header", "secret_values", "scrub"]


_CREDENTIAL_NAMES = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key"})
_CREDENTIAL_SUFFIX = re.compile(r"[-_](key|token|secret|password|passwd|credentials?)$", re.IGNORECASE)
#: shorter values are not scrubbed by value: replacing "1" everywhere would destroy the report
MIN_SECRET_LENGTH = 6


def is_credential_header(name: str) -> bool:
    """`Authorization`, `Cookie`, `X-Api-Key`, `X-Auth-Token`, `Client-Secret`... look like credentials."""
    lower = name.strip().lower()
    return lower in _CREDENTIAL_NAMES or bool(_CREDENTIAL_SUFFIX.search(lower))


def secret_values(headers: Iterable[tuple[str, str]]) -> list[str]:
    """The values to scrub from a document: each header value, and the credential after an auth scheme."""
    values: set[str] = set()
    for _, value in headers:
        value = value.strip()
        values.add(value)
        scheme, _, credential = value.partition(" ")
        if credential and scheme.isalpha():
            values.add(credential.strip())  # "Bearer KEY": a gateway may forward only KEY
    # longest first, so "Bearer KEY" is replaced whole before "KEY"
    return sorted((v for v in values if len(v) >= MIN_SECRET_LENGTH), key=len, reverse=True)


def _scrub_text(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _scrub_base64(data: str, secrets: list[str]) -> str:
    raw = base64.b64decode(data)
    for secret in secrets:
        raw = raw.replace(secret.encode("utf-8"), REDACTED.encode())
    return base64.b64encode(raw).decode("ascii")


def scrub(value: Any, secrets: list[str]) -> Any:
    """`value` with every secret replaced, in every string it holds (dataclasses are changed in place)."""
    if not secrets or isinstance(value, enum.Enum):
        return value
    if isinstance(value, str):
        return _scrub_text(value, secrets)
    if isinstance(value, list):
        value[:] = [scrub(item, secrets) for item in value]
        return value
    if isinstance(value, tuple):
        return tuple(scrub(item, secrets) for item in value)
    if isinstance(value, dict):
        for key in list(value):
            value[key] = scrub(value[key], secrets)
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            current = getattr(value, item.name)
            if item.name == "base64" and isinstance(current, str):
                setattr(value, item.name, _scrub_base64(current, secrets))
            elif not isinstance(current, (int, float, bool)) and current is not None:
                setattr(value, item.name, scrub(current, secrets))
        return value
    return value
