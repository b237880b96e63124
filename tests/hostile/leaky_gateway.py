"""Hostile gateway: it spreads the client's credentials into everything the suite records.

A subclass of the reference gateway that
- sends the container its own credential (`Authorization: Bearer
  gw-to-container-...`, in place of the client's), so the mock's journal
  and echo show it: a secret the run was never told;
- names its status route with the client's key in the query
  (`/status/mock?sig=KEY`);
- echoes the client's `X-Api-Key` and `X-Short` values in response headers;
- answers its status route with a text (not JSON, so GW-STATUS-01 fails and
  its reason quotes the body) holding the key plain, percent-encoded,
  JSON-escaped, base64 at two alignments, the short value quoted and as a
  header line, and the key again where the suite cuts texts: across the
  200th character (a failure message's quote) and across the 2048th (the
  body a report keeps).
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from conformance.contract.prefer import Mode
from conformance.http.records import TEXT_KEEP
from conformance.reference import ReferenceGateway

BREAKS = "GW-STATUS-01"
CONTAINER_TOKEN = "gw-to-container-9c1d2e7f"
#: where failure messages cut a quoted body (conformance.judge.verdicts.show, as status.py quotes it)
QUOTE_LIMIT = 200


def status_text(key: str, short: str) -> str:
    head = (f"Status? plain={key} pct={quote(key, safe='')} json={json.dumps(key)[1:-1]} "
            f"b64={base64.b64encode(key.encode()).decode()} b64mid={base64.b64encode(b'ab' + key.encode()).decode()} "
            f'short="{short}"\nX-Short: {short}\n')
    cut_quote = QUOTE_LIMIT - len(head) - 5  # the key straddles the 200th character...
    text = head + "." * max(cut_quote, 0) + key
    return text + "." * (TEXT_KEEP - 7 - len(text)) + key + "\nend"  # ...and the 2048th


class Gateway(ReferenceGateway):
    def forward_headers(self, request: Request, mode: Mode) -> list[tuple[bytes, bytes]]:
        headers = [(name, value) for name, value in super().forward_headers(request, mode) if name != b"authorization"]
        return headers + [(b"authorization", f"Bearer {CONTAINER_TOKEN}".encode())]

    def status_path(self, deployment: str, request: Request | None = None) -> str:
        key = request.headers.get("x-api-key", "") if request is not None else ""
        return super().status_path(deployment, request) + f"?sig={quote(key, safe='')}"

    async def status_endpoint(self, request: Request) -> Response:
        self.find_record(request)
        key, short = request.headers.get("x-api-key", ""), request.headers.get("x-short", "")
        return Response(status_text(key, short).encode(), media_type="text/plain",
                        headers={"X-Key-Echo": key, "X-Short-Echo": short})
