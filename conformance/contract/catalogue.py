"""The requirement catalogue: every contract ID, its level and what it asks.

This is the one place the contract's IDs live in code. Checks name the IDs
they cover, reports and `conformance requirements` read the statements and
levels from here, and a project test fails when an ID has no check. IDs and
levels are fixed by the contract (gateway-contract.md); the statements are
this project's own one-line wording.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["VERSION", "Level", "Requirement", "REQUIREMENTS", "get", "by_prefix", "SECTIONS", "KIND_PREFIXES", "kind_of"]

#: The version of the contract this catalogue holds. Every report carries it, so two runs can be told apart
#: by what they judged against; conformance/contract/changelog.py says what each version changed (a test
#: keeps the two in step: change an ID or a level here and that test asks for a new version and its entry).
VERSION = "1.1"


class Level(str, enum.Enum):
    MUST = "MUST"
    SHOULD = "SHOULD"
    INFO = "INFO"


@dataclass(frozen=True)
class Requirement:
    id: str
    level: Level
    section: str
    statement: str
    #: A condition under which the requirement applies at all (e.g. a second
    #: deployment is configured); None when it always applies.
    applies_when: str | None = None

    @property
    def family(self) -> str:
        """`GW-ASYNC-05` -> `GW-ASYNC`: the group reports and selection use."""
        return self.id.rsplit("-", 1)[0]


SECTIONS = {
    "prefer": "Prefer recognition",
    "sync": "Synchronous mode",
    "async": "respond-async",
    "status": "Status route",
    "result": "Result route",
    "proxy": "respond-async-proxy (fire-and-forget)",
    "container": "respond-async-container",
    "load": "Load, isolation and security",
    "container-side": "Container side",
}

M, S, I = Level.MUST, Level.SHOULD, Level.INFO

_ROWS: list[tuple[str, Level, str, str]] = [
    # Prefer recognition
    ("GW-PREF-01", M, "prefer", "The three exact values respond-async, respond-async-proxy and respond-async-container select their asynchronous modes."),
    ("GW-PREF-02", M, "prefer", "Without a Prefer header the request is handled synchronously."),
    ("GW-PREF-03", M, "prefer", "Any other Prefer value is handled synchronously and reaches the container byte for byte."),
    ("GW-PREF-04", M, "prefer", "Near misses of the three values (prefix, suffix, underscore) are other values: synchronous and forwarded unchanged."),
    ("GW-PREF-05", M, "prefer", "Whitespace around the Prefer value does not change the mode it selects."),
    ("GW-PREF-06", S, "prefer", "Preference names match case-insensitively."),
    ("GW-PREF-07", S, "prefer", "A recognized value inside a list, with parameters, or on a second header line still selects its mode."),
    ("GW-PREF-08", I, "prefer", "Which mode, if any, two recognized values in one request select."),
    ("GW-PREF-09", S, "prefer", "Recognition follows the RFC 7240 grammar: a mode name inside a quoted-string value or as a parameter selects nothing."),
    # Synchronous mode
    ("GW-SYNC-01", M, "sync", "The container gets the request once with its method, path, query, body bytes and Content-Type (binary and up to 1 MiB)."),
    ("GW-SYNC-02", M, "sync", "The client gets the container's status, body bytes and Content-Type unchanged, errors included."),
    ("GW-SYNC-03", S, "sync", "PUT, PATCH, DELETE, custom headers both ways and bodies up to 16 MiB pass through too."),
    ("GW-SYNC-04", S, "sync", "A streamed container response reaches the client incrementally, not buffered whole."),
    ("GW-SYNC-05", S, "sync", "Percent-encoded octets (%2F, %3F, %23, %25) and empty segments of the path reach the container as sent."),
    # respond-async
    ("GW-ASYNC-01", M, "async", "respond-async is answered with 202 Accepted."),
    ("GW-ASYNC-02", M, "async", "The 202 body is a JSON object with non-empty string Id, StatusPath and ResultPath."),
    ("GW-ASYNC-03", M, "async", "The 202 carries an X-Inference-Id header equal to Id."),
    ("GW-ASYNC-04", M, "async", "The 202 carries a Location header equal to ResultPath."),
    ("GW-ASYNC-05", M, "async", "The 202 comes within T_accept even while the container takes D: the gateway does not wait."),
    ("GW-ASYNC-06", M, "async", "N concurrent submissions get N distinct Ids."),
    ("GW-ASYNC-07", M, "async", "The container gets the submission exactly once with its method, path, query, body bytes and Content-Type."),
    ("GW-ASYNC-08", S, "async", "respond-async is not passed on to the container in this mode."),
    ("GW-ASYNC-09", S, "async", "Ids are unguessable: not sequential, with at least 64 bits of randomness."),
    ("GW-ASYNC-10", S, "async", "A client-supplied X-Inference-Id becomes the Id, and status and result are reachable under it."),
    ("GW-ASYNC-11", I, "async", "What the gateway does with a client-supplied X-Inference-Id that is already in use."),
    # Status route
    ("GW-STATUS-01", M, "status", "The status route answers 200 with a JSON Status of Initialized/Queue/Inference/Completed, or the integers 0-3."),
    ("GW-STATUS-02", M, "status", "Statuses never go backwards, Completed is terminal, and one request never mixes names and integers."),
    ("GW-STATUS-03", M, "status", "Status reaches Completed within T_done of the accept, whatever the container answered."),
    ("GW-STATUS-04", M, "status", "An unknown X-Inference-Id on the status route answers 404."),
    ("GW-STATUS-05", M, "status", "A missing X-Inference-Id on the status route answers 4xx, never 2xx or 5xx."),
    ("GW-STATUS-06", S, "status", "The status object carries Id equal to the request's Id."),
    ("GW-STATUS-07", S, "status", "Status is given as names, which the provider's current client parses, not integers."),
    ("GW-STATUS-08", S, "status", "The status object carries Error: null until something fails, then a non-empty string."),
    # Result route
    ("GW-RESULT-01", M, "result", "After Completed the result route gives the container's body bytes and Content-Type, 2xx for a 2xx answer."),
    ("GW-RESULT-02", M, "result", "A container failure stays visible (its status code, or a non-empty Error) and its body is kept."),
    ("GW-RESULT-03", M, "result", "Reading a result does not consume it: repeated GETs give the same status and body."),
    ("GW-RESULT-04", M, "result", "Before Completed the result route never answers 200."),
    ("GW-RESULT-05", M, "result", "Under N concurrent submissions every result is the answer to its own submission."),
    ("GW-RESULT-06", M, "result", "An unknown X-Inference-Id on the result route answers 404; a missing one 4xx, never 2xx or 5xx."),
    ("GW-RESULT-07", S, "result", "Before Completed the result route answers 202."),
    ("GW-RESULT-08", S, "result", "Custom container response headers are kept in the result."),
    ("GW-RESULT-09", S, "result", "An unreachable or silent container still ends Completed within T_done, with a gateway-made 502 or 504 result."),
    ("GW-RESULT-10", S, "result", "The result carries exactly the container's status code."),
    # Fire-and-forget
    ("GW-PROXY-01", M, "proxy", "respond-async-proxy is answered with 202 and an empty body."),
    ("GW-PROXY-02", M, "proxy", "That 202 comes within T_accept even while the container takes D."),
    ("GW-PROXY-03", M, "proxy", "The container gets the request within T_done, exactly once, with Prefer: respond-async and the submission unchanged."),
    ("GW-PROXY-04", M, "proxy", "The container's follow-up work (its webhook call) happens."),
    ("GW-PROXY-05", S, "proxy", "All N concurrent fire-and-forget submissions reach the container."),
    # Container-returned id
    ("GW-CONT-01", M, "container", "The container gets the request with Prefer: respond-async and the submission unchanged."),
    ("GW-CONT-02", M, "container", "The client gets the container's own status, body bytes and Content-Type, not a gateway document."),
    ("GW-CONT-03", M, "container", "Container error responses are relayed as they are."),
    ("GW-CONT-04", S, "container", "The container gets the request exactly once."),
    # Load, isolation, security
    ("GW-LOAD-01", M, "load", "N concurrent submissions across all four modes: nothing lost, nothing duplicated, no crossed results."),
    ("GW-LOAD-02", S, "load", "With the container saturated, the p99 respond-async accept latency stays under T_accept."),
    ("GW-SEC-01", S, "load", "An Id from one deployment cannot be read through another deployment's routes."),
    # Container side
    ("CT-HEALTH-01", M, "container-side", "The container's health route answers 200 once it is ready."),
    ("CT-SYNC-01", M, "container-side", "The inference route answers a request with no Prefer header."),
    ("CT-SYNC-02", M, "container-side", "A Prefer value the container does not know is answered as if there were none."),
    ("CT-ASYNC-01", M, "container-side", "A fire-and-forget container acks respond-async with 2xx within T_accept and its webhook call follows within T_done."),
    ("CT-ASYNC-02", M, "container-side", "An id-returning container acks respond-async with 2xx within T_accept and a body holding an id distinct per request."),
    ("CT-ROBUST-01", S, "container-side", "Malformed input gets a 4xx, not a 5xx, and the container stays healthy."),
    ("CT-MODES-01", I, "container-side", "Which of the gateway's modes the container works with end to end behind the reference gateway."),
]

_CONDITIONS = {
    "GW-SEC-01": "a second deployment is configured",
    "CT-ASYNC-01": "the container declares fire-and-forget support",
    "CT-ASYNC-02": "the container declares id-returning support",
}

REQUIREMENTS: dict[str, Requirement] = {
    rid: Requirement(rid, level, SECTIONS[section], statement, _CONDITIONS.get(rid))
    for rid, level, section, statement in _ROWS
}


def get(rid: str) -> Requirement:
    """The requirement with this ID; KeyError names unknown IDs."""
    try:
        return REQUIREMENTS[rid]
    except KeyError:
        raise KeyError(f"unknown requirement ID {rid!r}") from None


def by_prefix(prefix: str) -> list[Requirement]:
    """Requirements whose ID starts with `prefix` (case-insensitive), in contract order."""
    prefix = prefix.upper()
    return [req for rid, req in REQUIREMENTS.items() if rid.startswith(prefix)]


#: what a run judges -> the prefix of its requirement IDs: a gateway (GW-*) or a container on its own (CT-*)
KIND_PREFIXES = {"gateway": "GW-", "container": "CT-"}


def kind_of(rid: str) -> str:
    """`gateway` or `container`: the kind of run that judges requirement `rid`."""
    for kind, prefix in KIND_PREFIXES.items():
        if rid.startswith(prefix):
            return kind
    raise KeyError(f"requirement ID {rid!r} belongs to no kind of run ({', '.join(KIND_PREFIXES)})")


def gateway_requirements() -> list[Requirement]:
    return [req for req in REQUIREMENTS.values() if req.id.startswith("GW-")]


def container_requirements() -> list[Requirement]:
    return [req for req in REQUIREMENTS.values() if req.id.startswith("CT-")]
