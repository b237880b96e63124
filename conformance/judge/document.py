"""From check records to the result document: one verdict per requirement, counts, exit code.

A requirement's outcome aggregates the verdicts of every check that
judged it: failed if any failed; passed if any passed (cases that could
not be judged are noted); skipped when none could judge it; INFO
requirements are `observed`.

The exit code: 1 when a MUST failed (with strict, a SHOULD too) that the
expected-failures baseline does not excuse, or when an entry of that
baseline is stale (its requirement now passes) and stale entries are not
allowed; 0 otherwise.
"""

from __future__ import annotations

import datetime as dt
from importlib import metadata

from conformance.contract import catalogue
from conformance.contract.catalogue import Level
from conformance.judge.config import SuiteConfig
from conformance.judge.model import (
    CheckJudgement,
    CheckRecord,
    ExpectedFailure,
    LevelCounts,
    Outcome,
    RequirementFailure,
    RequirementResult,
    ResultDocument,
    Summary,
    TargetInfo,
)
from conformance.http.redact import Secrets, scrub, secret_values
from conformance.judge.selection import ExpectedFailures, Selection, as_expected

__all__ = ["build_document", "exit_code_of", "run_secrets"]

#: gateway_forms key -> (requirement, data key) where a check records it
FORMS = {"status_encoding": ("GW-STATUS-01", "status_encoding"), "failure_visibility": ("GW-RESULT-02", "failure_visibility")}


def _version() -> str:
    try:
        return metadata.version("async-gateway-conformance")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _requirement(rid: str, records: list[CheckRecord], expected: dict[str, str]) -> RequirementResult:
    req = catalogue.get(rid)
    result = RequirementResult(rid, req.level.value, req.section, req.statement, Outcome.SKIPPED)
    for record in records:
        for verdict in record.verdicts:
            if verdict.id != rid:
                continue
            result.checks.append(record.name)
            result.judged_by.append(CheckJudgement(record.name, verdict.outcome, verdict.reason))
            for note in verdict.notes:
                if note not in result.notes:
                    result.notes.append(note)
            result.data.update(verdict.data)
            if verdict.outcome is Outcome.FAILED:
                exchanges = {e.seq: e for e in record.exchanges}
                for failure in verdict.failures:
                    result.failures.append(RequirementFailure(
                        check=record.name, reason=failure.reason, expected=failure.expected, actual=failure.actual,
                        case=failure.case, exchanges=[exchanges[s] for s in failure.exchanges if s in exchanges],
                    ))
    verdicts = [v for r in records for v in r.verdicts if v.id == rid]
    outcomes = {v.outcome for v in verdicts}
    skips = [v.reason for v in verdicts if v.outcome is Outcome.SKIPPED]
    if req.level is Level.INFO:
        observed = [v.observed for v in verdicts if v.outcome is Outcome.OBSERVED and v.observed]
        if observed:
            result.outcome, result.observed, result.reason = Outcome.OBSERVED, "; ".join(observed), "; ".join(observed)
        else:
            result.reason = "; ".join(skips) or "nothing observed: " + "; ".join(f.reason for f in result.failures)
            result.failures = []
    elif Outcome.FAILED in outcomes:
        result.outcome, result.reason = Outcome.FAILED, result.failures[0].reason if result.failures else "failed"
    elif Outcome.PASSED in outcomes:
        result.outcome = Outcome.PASSED
        result.reason = "; ".join(result.notes[:3])
        for reason in skips:
            result.notes.append(f"partly not judged: {reason}")
    else:
        result.reason = "; ".join(dict.fromkeys(skips)) or "no check judged it"
    for key, (owner, data_key) in FORMS.items():
        if rid == owner and data_key in result.data:
            result.observed = f"{key.replace('_', ' ')}: {result.data[data_key]}"
    if rid in expected:
        result.expected_failure = ExpectedFailure(expected[rid], unexpectedly_passed=result.outcome is Outcome.PASSED)
    return result


def _apply_baseline(result: RequirementResult, records: list[CheckRecord], expected: ExpectedFailures) -> None:
    """Set the requirement's expected failure: whether its entry excuses this run's failures, and whether it is stale.

    An entry naming checks excuses only their failures, and is stale when
    none of them failed the requirement although one of them judged it.
    """
    entry = expected.entries.get(result.id)
    if entry is None:
        result.expected_failure = None
        return
    failing = {record.name for record in records for verdict in record.verdicts
               if verdict.id == result.id and verdict.outcome is Outcome.FAILED}
    judging = {record.name for record in records for verdict in record.verdicts
               if verdict.id == result.id and verdict.outcome in (Outcome.FAILED, Outcome.PASSED)}
    if entry.checks:
        stale = result.outcome in (Outcome.PASSED, Outcome.FAILED) and bool(judging & set(entry.checks)) \
            and not failing & set(entry.checks)
    else:
        stale = result.outcome is Outcome.PASSED
    excused = all(entry.excuses(name) for name in failing)
    result.expected_failure = ExpectedFailure(entry.reason, unexpectedly_passed=stale, checks=list(entry.checks),
                                              excused=excused)


def run_secrets(config: SuiteConfig) -> Secrets:
    """What a run knows to be secret: its -H values and what its URLs carry (userinfo, credential query values)."""
    # a container run's config (ContainerConfig) names its target `url`
    urls = [getattr(config, name, None) for name in ("gateway", "other_gateway", "container_url", "url")]
    return secret_values(config.headers, urls)


#: a check's status when the suite lost its view of the mock container (conformance.runs.engine)
INSTRUMENT_ERROR = "instrument-error"
#: the exit code of a run that cannot be judged (as for a target that cannot be tested)
CANNOT_JUDGE = 2


def exit_code_of(requirements: list[RequirementResult], strict: bool, allow_stale: bool = True) -> int:
    for result in requirements:
        if result.counts_against and (result.level == "MUST" or (strict and result.level == "SHOULD")):
            return 1
        if not allow_stale and result.expected_failure is not None and result.expected_failure.unexpectedly_passed:
            return 1
    return 0


def build_document(
    *,
    config: SuiteConfig,
    target: TargetInfo,
    selection: Selection,
    records: list[CheckRecord],
    strict: bool = False,
    expected_failures: ExpectedFailures | dict[str, str] | None = None,
    started_at: dt.datetime | None = None,
    duration: float = 0.0,
) -> ResultDocument:
    expected = as_expected(expected_failures)
    judged = {verdict.id for record in records for verdict in record.verdicts}
    rids = [rid for rid in catalogue.REQUIREMENTS if rid in judged and selection.covers(rid)]
    requirements = [_requirement(rid, records, {}) for rid in rids]
    for result in requirements:
        _apply_baseline(result, records, expected)
    counts = {level.value: LevelCounts() for level in Level}
    for result in requirements:
        bucket = counts[result.level]
        setattr(bucket, result.outcome.value, getattr(bucket, result.outcome.value) + 1)
        if result.outcome is Outcome.FAILED and result.expected_failure is not None and result.expected_failure.excused:
            bucket.expected_failures += 1
    forms = {}
    for key, (owner, data_key) in FORMS.items():
        for result in requirements:
            if result.id == owner and data_key in result.data:
                forms[key] = str(result.data[data_key])
    code = exit_code_of(requirements, strict, expected.allow_stale)
    blind = [f"{record.name}: {record.error}" for record in records if record.status == INSTRUMENT_ERROR]
    if blind:
        code = CANNOT_JUDGE  # what the suite could not see may hide a failure: no verdict stands
    summary = Summary(
        verdict={0: "pass", 1: "fail", CANNOT_JUDGE: "not judged"}[code],
        exit_code=code,
        strict=strict,
        counts=counts,
        failed_must=[r.id for r in requirements if r.counts_against and r.level == "MUST"],
        failed_should=[r.id for r in requirements if r.counts_against and r.level == "SHOULD"],
        unexpected_passes=[r.id for r in requirements if r.expected_failure and r.expected_failure.unexpectedly_passed],
        gateway_forms=forms,
        started_at=(started_at or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds"),
        duration=round(duration, 3),
        allow_stale=expected.allow_stale,
        not_judged=blind,
    )
    document = ResultDocument(
        tool={"name": "async-gateway-conformance", "version": _version()},
        target=target,
        parameters=config.parameters(),
        selection={**selection.describe(), "checks": [r.name for r in records], "expected_failures": dict(expected),
                   "expected_failures_file": expected.source},
        summary=summary,
        requirements=requirements,
        checks=records,
    )
    # the -H values are redacted by name where they were sent; this catches them echoed in bodies and messages
    return scrub(document, run_secrets(config))
