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
from conformance.contract.catalogue import VERSION as CONTRACT_VERSION
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

# 1.1: exchange.mock_entries, body.base64, failure.reproduction
# 1.2: contract.version; summary.allow_stale; selection.expected_failures_file;
#      expected_failure.checks, expected_failure.excused; target.mock_access, target.mock_instances,
#      target.ready_wait, target.round_trip, target.cmd_output; requirement.judged_by
SCHEMA_VERSION = "1.2"


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
    #: stale: the requirement passed (or, for an entry naming checks, those checks no longer fail it) although
    #: it is listed; the run fails unless stale entries are allowed
    unexpectedly_passed: bool = False
    #: the checks whose failure the entry excuses; empty: any check's
    checks: list[str] = field(default_factory=list)
    #: every failure of the requirement in this run is excused by the entry (False: an unlisted check failed it)
    excused: bool = True


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
        return self.outcome is Outcome.FAILED and (self.expected_failure is None or not self.expected_failure.excused)


@dataclass
class LevelCounts:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    observed: int = 0
    expected_failures: int = 0


@dataclass
class Summary:
    verdict: str  # "pass", "fail" or "not judged"
    exit_code: int
    strict: bool
    counts: dict[str, LevelCounts]
    failed_must: list[str]
    failed_should: list[str]
    #: stale expected failures: listed IDs that now pass ("GW-X now passes: remove it from FILE"); they fail the
    #: run unless allow_stale
    unexpected_passes: list[str]
    #: which legal variant the gateway uses, e.g. {"status_encoding": "names"}
    gateway_forms: dict[str, str]
    started_at: str
    duration: float
    #: stale entries (in unexpected_passes) do not fail the run (--allow-stale)
    allow_stale: bool = False
    #: why the run gives no verdict (exit 2): the checks that lost the suite's view of the mock container
    not_judged: list[str] = field(default_factory=list)


@dataclass
class TargetInfo:
    mode: str  # "reference", "url" or "gateway-cmd"; "container" for `conformance container`
    gateway: str  # in a container run: the container's URL (the thing judged), as container_url
    container_url: str
    other_gateway: str | None = None
    #: the command that started the target (--gateway-cmd; --container-cmd in a container run)
    gateway_cmd: str | None = None
    #: the started command's last output lines, kept when a requirement failed or the process exited during the run
    cmd_output: str | None = None
    #: "direct" (the mock at container_url) or "through-gateway" (container_url is the gateway's deployment:
    #: the mock's control API reached through it, with the run's headers)
    mock_access: str = "direct"
    #: every mock instance that answered the run's control requests; more than one (replicas behind one
    #: deployment, or a restart) and the run is not judged
    mock_instances: list[str] = field(default_factory=list)
    #: seconds the run waited for the deployment to answer GET {gateway}/health with 200 (through the gateway)
    ready_wait: float | None = None
    #: median seconds of one request to the gateway and back, measured before the run (the suite's
    #: timings include it: a far-away gateway needs a larger T_accept, docs/hosted.md)
    round_trip: float | None = None

    @property
    def through_gateway(self) -> bool:
        return self.mock_access == "through-gateway"

    @property
    def several_mocks(self) -> bool:
        """Replicas (or a restart): the run's journal reads came from more than one mock, so it is not judged."""
        return len(self.mock_instances) > 1


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
    #: the contract version the run judged against (conformance/contract/changelog.py says what each changed)
    contract: dict[str, str] = field(default_factory=lambda: {"version": CONTRACT_VERSION})

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
