"""Errors the gateway answers itself, always as a small JSON document.

Every refusal names what was wrong (`{"error": "...", "header": "X-Inference-Id"}`),
so a client never has to guess, and nothing a client sends turns into a 500.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

__all__ = ["GatewayError", "busy", "error_response", "gateway_error_handler", "http_exception_handler"]


class GatewayError(Exception):
    """A request the gateway answers with `status` and a JSON error document."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        header: str | None = None,
        retry_after: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.header = header
        self.headers = dict(headers or {})
        if retry_after is not None:
            self.headers["Retry-After"] = str(max(1, retry_after))

    def document(self) -> dict[str, str]:
        doc = {"error": self.message}
        if self.header:
            doc["header"] = self.header
        return doc


def busy(message: str, retry_after: int = 1) -> GatewayError:
    """A bounded resource is full: 503 with Retry-After, never unbounded growth."""
    return GatewayError(503, message, retry_after=retry_after)


def error_response(error: GatewayError) -> JSONResponse:
    return JSONResponse(error.document(), status_code=error.status, headers=error.headers)


async def gateway_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GatewayError)
    return error_response(exc)


async def http_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own 404/405 answers, in the same JSON shape as ours."""
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)
