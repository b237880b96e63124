"""Submissions and the answers that must belong to them.

A submission is a small JSON body with a uuid, so its sha256 names it. The
mock container answers with its echo document, which carries the sha256 of
the body it received: an answer (a synchronous response, a respond-async
result, a container task's result, a webhook body) belongs to the submission
whose hash it echoes, and to no other.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from conformance.runs.load.tally import Tally, Submission

__all__ = ["new_body", "json_object", "echoed_sha", "task_id_of", "is_completed", "judge_answer"]

#: Status values meaning Completed: the name, or the tutorial's integer (GW-STATUS-01).
COMPLETED = ("Completed", 3)


def new_body(run_id: str, mode: str) -> tuple[bytes, str]:
    """A fresh submission body and its sha256 (hex)."""
    body = json.dumps({"run": run_id, "mode": mode, "nonce": uuid.uuid4().hex}, separators=(",", ":")).encode()
    return body, hashlib.sha256(body).hexdigest()


def json_object(content: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def echoed_sha(content: bytes) -> str | None:
    """The body hash an echo document reports, None when `content` is not one."""
    document = json_object(content)
    sha = document.get("body_sha256") if document else None
    return sha if isinstance(sha, str) else None


def task_id_of(content: bytes) -> str | None:
    """The mock's `task-id` acknowledgement: `{"task_id": "..."}`."""
    document = json_object(content)
    task_id = document.get("task_id") if document else None
    return task_id if isinstance(task_id, str) and task_id else None


def is_completed(content: bytes) -> bool | None:
    """Whether a status document says Completed; None when it is not a status document."""
    document = json_object(content)
    if document is None or "Status" not in document:
        return None
    status = document["Status"]
    return status in COMPLETED and not isinstance(status, bool)


def judge_answer(tally: Tally, record: Submission, status: int, content: bytes, where: str) -> None:
    """Submission whether a 2xx answer is the container's answer to `record`'s submission."""
    if not 200 <= status < 300:
        tally.failed(record, f"{where}: HTTP {status}")
        return
    sha = echoed_sha(content)
    if sha == record.sha:
        tally.matched(record)
    else:
        tally.crossed(record, sha, where)
