"""The one result model of a conformance run.

Every report (console, JSON, and later JUnit and HTML) is rendered from a
`ResultDocument`; the JSON report is exactly `ResultDocument.to_dict()`,
whose shape `result.schema.json` beside this file describes. Other tools
read that file: add fields, never rename or remove one without bumping
`SCHEMA_VERSION`.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any

# what an exchange was is the HTTP layer's to record; the result model is made of those records
from conformance.http.records import (
    REDACTED,
    TEXT_KEEP,
    BodyRecord,
    ChunkRecord,
    ExchangeRecord,
    MockEntryRecord,
    RequestRecord,
    ResponseRecord,
)

__all__ = [
    "SCHEMA_VERSION",
    "REDACTED",
    "TEXT_KEEP",
    "Outcome",
    "BodyRecord",
    "RequestRecord",
    "ResponseRecord",
    "ChunkRecord",
    "ExchangeRecord",
    "MockEntryRecord",
    "FailureRecord",
    "IdVerdict",
    "CheckRecord",
    "ExpectedFailure",
    "RequirementFailure",
    "CheckJudgement",
    "RequirementResult",
    "LevelCounts",
    "Summary",
    "TargetInfo",
    "ResultDocument",
]

SCHEMA_VERSION = "1.2"  # 1.1: exchange.mock_entries, body.base64, failure.reproduction; 1.2: requirement.judged_by


class Outcome(str, enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    OBSERVED = "observed"


@dataclass
class FailureRecord:
    reason: str
    expected: str | None = None
    actual: str | None = None
    case: str | None = None
    exchanges: list[int] = field(default_factory=list)  # seq numbers of the check's exchanges


@dataclass
class IdVerdict:
    """What one check concluded about one requirement."""

    id: str
    outcome: Outcome
    reason: str = ""
    failures: list[FailureRecord] = field(default_factory=list)
    observed: str | None = None
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class CheckRecord:
    name: str
    module: str
    ids: list[str]
    description: str
    status: str  # "completed", "error", "timeout" or "cancelled"
    started: float = 0.0
    duration: float = 0.0
    error: str | None = None
    verdicts: list[IdVerdict] = field(default_factory=list)
    exchanges: list[ExchangeRecord] = field(default_factory=list)


@dataclass
class ExpectedFailure:
    reason: str
    #: the requirement passed although it was listed as an expected failure
    unexpectedly_passed: bool = False


@dataclass
class RequirementFailure:
    check: str
    reason: str
    expected: str | None = None
    actual: str | None = None
    case: str | None = None
    exchanges: list[ExchangeRecord] = field(default_factory=list)
    #: a shell command (curl) that resends the request that showed the failure (conformance/reports/curl.py)
    reproduction: str | None = None


@dataclass
class CheckJudgement:
    """What one check, by itself, concluded about one requirement.

    A requirement's outcome aggregates these; kept apart so a reader (and
    the mutant proof) can tell which check failed it, and that a broken
    check does not hide behind another that judges the same ID.
    """

    check: str
    outcome: Outcome
    reason: str = ""


@dataclass
class RequirementResult:
    id: str
    level: str
    section: str
    statement: str
    outcome: Outcome
    reason: str = ""
    checks: list[str] = field(default_factory=list)
    failures: list[RequirementFailure] = field(default_factory=list)
    observed: str | None = None
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    expected_failure: ExpectedFailure | None = None
    #: each check's own verdict on this requirement, in the order the checks ran
    judged_by: list[CheckJudgement] = field(default_factory=list)

    def judgement_of(self, check: str) -> CheckJudgement | None:
        """The named check's own verdict on this requirement (None: it did not judge it)."""
        return next((j for j in self.judged_by if j.check == check), None)

    @property
    def counts_against(self) -> bool:
        """A failure that is not excused by the expected-failures file."""
        return self.outcome is Outcome.FAILED and self.expected_failure is None


@dataclass
class LevelCounts:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    observed: int = 0
    expected_failures: int = 0


@dataclass
class Summary:
    verdict: str  # "pass" or "fail"
    exit_code: int
    strict: bool
    counts: dict[str, LevelCounts]
    failed_must: list[str]
    failed_should: list[str]
    unexpected_passes: list[str]
    #: which legal variant the gateway uses, e.g. {"status_encoding": "names"}
    gateway_forms: dict[str, str]
    started_at: str
    duration: float


@dataclass
class TargetInfo:
    mode: str  # "reference", "url" or "gateway-cmd"; "container" for `conformance container`
    gateway: str  # in a container run: the container's URL (the thing judged), as container_url
    container_url: str
    other_gateway: str | None = None
    gateway_cmd: str | None = None


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


@dataclass
class ResultDocument:
    tool: dict[str, str]
    target: TargetInfo
    parameters: dict[str, Any]
    selection: dict[str, Any]
    summary: Summary
    requirements: list[RequirementResult]
    checks: list[CheckRecord]
    schema_version: str = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))

    def requirement(self, rid: str) -> RequirementResult:
        for result in self.requirements:
            if result.id == rid:
                return result
        raise KeyError(f"{rid} was not part of this run")

    def outcomes(self) -> dict[str, str]:
        """ID -> outcome, the shortest way for a test to read a run."""
        return {result.id: result.outcome.value for result in self.requirements}
