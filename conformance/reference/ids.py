"""Inference ids: how the gateway makes them and which client-supplied ones it takes."""

from __future__ import annotations

import uuid

__all__ = ["new_id", "id_problem", "MAX_ID_LENGTH"]

MAX_ID_LENGTH = 128


def new_id() -> str:
    """A random UUID: 122 random bits (GW-ASYNC-09), the provider's own format."""
    return str(uuid.uuid4())


def id_problem(value: str) -> str | None:
    """Why `value` cannot be an inference id, or None when it can.

    Ids travel in a header and in JSON, and users paste them into shells:
    1..128 visible ASCII characters keeps all three safe.
    """
    if not value:
        return "must not be empty"
    if len(value) > MAX_ID_LENGTH:
        return f"must be at most {MAX_ID_LENGTH} characters"
    if not all("!" <= char <= "~" for char in value):
        return "must be visible ASCII characters only (no spaces or control characters)"
    return None
