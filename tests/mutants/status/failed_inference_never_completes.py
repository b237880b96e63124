"""Mutant: the Error text of a container failure is looked up in a table
that knows only 500, 502 and 504; any other failure status (503, 422, ...)
raises in the worker, and the request stays `Inference` for ever.

Breaks GW-STATUS-03 (Completed within T_done, whatever the container answered).
Realistic: an exception on the error path of a background worker is logged
and swallowed; nothing marks the request finished, and only failures the
author never tried show it.
"""

from __future__ import annotations

from conformance.reference import ReferenceGateway
from conformance.reference.store import StoredResponse

BREAKS = "GW-STATUS-03"
AIMED_AT = ("result_of_failure", "async_result_property")

ERROR_TEXTS = {
    500: "the container failed",
    502: "the container could not be reached",
    504: "the container did not answer in time",
}


class Gateway(ReferenceGateway):
    def error_for(self, response: StoredResponse) -> str | None:
        if response.status_code < 400:
            return None
        return ERROR_TEXTS[response.status_code]  # KeyError for 503, 422, ...: the worker gives up
