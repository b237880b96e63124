"""What the mock container is asked to answer, written as its behaviour fields.

A `ContainerAnswer` is the container's whole answer: status code, body
bytes, Content-Type and custom headers, so a property knows exactly what a
gateway had to relay or keep. Small answers travel as query fields
(`mock-status=...`), the channel every mode forwards; answers too large for
a URL travel in the request's JSON body (`{"mock": {...}}`), which a
gateway forwards byte for byte too.

Statuses are the ones a relay has no reason to treat specially: 2xx and
4xx/5xx with a body (no 1xx, 204, 205, 304, redirects, 421 or 426).
"""

from __future__ import annotations

import base64
import json
import random
import string
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

__all__ = ["ContainerAnswer", "answers", "SUCCESS_STATUSES", "ERROR_STATUSES", "QUERY_LIMIT"]

SUCCESS_STATUSES = (200, 201, 202, 203, 206, 207, 226, 299)
ERROR_STATUSES = (400, 401, 402, 403, 404, 405, 406, 408, 409, 410, 411, 412, 413, 415, 418, 422, 423, 425, 428, 429,
                  451, 499, 500, 501, 502, 503, 504, 505, 507, 508, 511, 599)
RESPONSE_TYPES = (
    "application/json",
    "text/plain; charset=utf-8",
    "application/octet-stream",
    "image/png",
    "application/x-ndjson",
    "application/problem+json",
    "text/html; charset=ISO-8859-1",
    "application/vnd.conformance.answer+json; v=1",
)
#: bodies up to this many bytes go in the query string; larger ones in the request body
QUERY_LIMIT = 600
#: large sizes drawn first: around the buffer sizes relays are built with
BOUNDARY_SIZES = (4096, 8193, 16385, 65537, 8192, 4097, 16384, 32768, 1024)


@dataclass(frozen=True)
class ContainerAnswer:
    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = field(default=())  # custom response headers

    @property
    def large(self) -> bool:
        return len(self.body) > QUERY_LIMIT

    def fields(self) -> dict[str, Any]:
        """The behaviour fields asking the mock for exactly this answer."""
        fields: dict[str, Any] = {
            "status": self.status,
            "body_base64": base64.b64encode(self.body).decode("ascii"),
            "content_type": self.content_type,
        }
        if self.headers:
            fields["headers"] = dict(self.headers)
        return fields

    def json_body(self) -> bytes:
        """A request body carrying the fields (the mock's JSON-body channel), for answers too large for a URL."""
        fields = {name.replace("_", "-"): value for name, value in self.fields().items()}
        return json.dumps({"mock": fields}, separators=(",", ":")).encode()

    def describe(self) -> str:
        text = f"{self.status}, {len(self.body)} bytes {self.body[:40]!r}, Content-Type {self.content_type!r}"
        return text + (f", headers {list(self.headers)!r}" if self.headers else "")


_NAMES = st.text(st.sampled_from(string.ascii_letters + string.digits + "-"), min_size=1, max_size=10)
_VALUES = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=16)


@st.composite
def answers(draw: st.DrawFn, statuses: tuple[int, ...] = SUCCESS_STATUSES + ERROR_STATUSES,
            max_size: int = 512, large: int = 0) -> ContainerAnswer:
    """An answer with one of `statuses`; with `large`, sometimes a body of up to that many bytes."""
    if large and draw(st.booleans()):
        # drawn byte by byte, tens of KiB would overrun hypothesis's buffer: a drawn seed spreads into them
        size = draw(st.one_of(st.sampled_from([n for n in BOUNDARY_SIZES if n <= large]),
                              st.integers(QUERY_LIMIT + 1, large)))
        body = random.Random(draw(st.integers(0, 2**32))).randbytes(size)
    else:
        body = draw(st.one_of(
            st.binary(max_size=max_size),
            st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=max_size // 4)
            .map(lambda t: t.encode("utf-8")),
        ))
    headers = draw(st.dictionaries(_NAMES.map(lambda n: f"X-Answer-{n}".lower()), _VALUES, max_size=2))
    return ContainerAnswer(draw(st.sampled_from(statuses)), body, draw(st.sampled_from(RESPONSE_TYPES)),
                           tuple(sorted(headers.items())))
