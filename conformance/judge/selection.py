"""Which requirements a run judges, and which failures a partial gateway expects.

The expected-failures file is a baseline that cannot rot: a listed
failure does not fail the run, an unlisted one does, and a listed one that
now passes fails the run too ("stale": the fix must clean the file in the
same change) unless the run allows stale entries. Two forms:

- text: `ID reason...` a line, `#` starts a comment (the historical form);
- YAML (a `.yml` / `.yaml` file): `ID: reason`, or `ID: {reason: ..., checks:
  [check, ...]}` to excuse the failure of the named checks only, or a plain
  list of IDs.

An entry whose requirement this run did not judge (outside -k, or skipped)
is neither excused nor stale. An ID the contract does not have, one of the
other kind of run, or an INFO ID (it never fails) is a usage error, and so
is a check name no check has.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from conformance.contract import catalogue

__all__ = ["Selection", "SelectionError", "ExpectedEntry", "ExpectedFailures", "as_expected", "parse_expected_failures",
           "load_expected_failures", "MAX_FILE_BYTES"]


class SelectionError(ValueError):
    """A selection or expected-failures entry that names nothing real."""


@dataclass(frozen=True)
class Selection:
    """Requirement IDs of one kind of run, by prefix (`GW-ASYNC`, `GW-STATUS-0`) and by level; empty means all."""

    prefixes: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    #: "gateway" (GW-* IDs) or "container" (CT-* IDs): see catalogue.KIND_PREFIXES
    kind: str = "gateway"

    @classmethod
    def make(cls, prefixes: Iterable[str] = (), levels: Iterable[str] = (), kind: str = "gateway") -> "Selection":
        own = catalogue.KIND_PREFIXES[kind]
        clean = tuple(p.strip().upper() for p in prefixes if p.strip())
        for prefix in clean:
            if not any(rid.startswith(prefix) for rid in catalogue.REQUIREMENTS if rid.startswith(own)):
                hint = "conformance requirements" + ("" if kind == "gateway" else f" --kind {kind}")
                raise SelectionError(f"-k {prefix}: no {kind} requirement ID starts with it (see `{hint}`)")
        names = tuple(level.strip().upper() for level in levels if level.strip())
        for level in names:
            if level not in catalogue.Level.__members__:
                raise SelectionError(f"--level {level}: expected one of MUST, SHOULD, INFO")
        return cls(clean, names, kind)

    def covers(self, rid: str) -> bool:
        if not rid.startswith(catalogue.KIND_PREFIXES[self.kind]):
            return False  # the other kind's requirements belong to the other command
        if self.prefixes and not any(rid.startswith(prefix) for prefix in self.prefixes):
            return False
        return not self.levels or catalogue.get(rid).level.value in self.levels

    def selects(self, ids: Iterable[str]) -> bool:
        """Whether a check judging these IDs has anything to do in this run."""
        return any(self.covers(rid) for rid in ids)

    def describe(self) -> dict[str, list[str]]:
        return {"prefixes": list(self.prefixes), "levels": list(self.levels)}


#: an expected-failures file is a short list written by hand; anything larger is a mistake (a log, a binary)
MAX_FILE_BYTES = 1024 * 1024

DEFAULT_REASON = "listed as an expected failure"


@dataclass(frozen=True)
class ExpectedEntry:
    id: str
    reason: str = DEFAULT_REASON
    #: the checks whose failure of this ID is excused; empty: any check's
    checks: tuple[str, ...] = ()

    def excuses(self, check: str) -> bool:
        return not self.checks or check in self.checks


@dataclass(frozen=True, eq=False)
class ExpectedFailures(Mapping[str, str]):
    """The expected-failures baseline of a run: ID -> reason (as a mapping), with per-check entries and the stale rule.

    Equal to a dict with the same IDs and reasons (Mapping's equality), so callers may keep treating it as one.
    """

    entries: dict[str, ExpectedEntry] = field(default_factory=dict)
    #: where the entries came from, named in "remove it from FILE"
    source: str | None = None
    #: a listed ID that passes is reported but does not fail the run (--allow-stale)
    allow_stale: bool = False

    @classmethod
    def from_mapping(cls, reasons: Mapping[str, str], source: str | None = None,
                     allow_stale: bool = False) -> "ExpectedFailures":
        return cls({rid: ExpectedEntry(rid, reason) for rid, reason in reasons.items()}, source, allow_stale)

    def __getitem__(self, rid: str) -> str:
        return self.entries[rid].reason

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def excuses(self, rid: str, check: str) -> bool:
        """Whether a failure of `rid` found by `check` is excused."""
        entry = self.entries.get(rid)
        return entry is not None and entry.excuses(check)

    def check_names(self) -> set[str]:
        return {name for entry in self.entries.values() for name in entry.checks}

    def validate(self, *, kind: str | None = None, checks: Iterable[str] | None = None) -> "ExpectedFailures":
        """Usage errors a run can only see once it knows its kind and its checks; returns self."""
        where = self.source or "expected failures"
        if kind is not None:
            own = catalogue.KIND_PREFIXES[kind]
            for rid in self.entries:
                if not rid.startswith(own):
                    command = "conformance run" if catalogue.kind_of(rid) == "gateway" else "conformance container"
                    raise SelectionError(f"{where}: {rid} is a {catalogue.kind_of(rid)} requirement, judged by "
                                         f"`{command}`, not by this run ({own}* IDs)")
        if checks is not None:
            known = set(checks)
            for entry in self.entries.values():
                for name in entry.checks:
                    if name not in known:
                        raise SelectionError(f"{where}: {entry.id}: no check is named {name!r} "
                                             "(`conformance requirements` lists the checks of each ID)")
        return self


def as_expected(value: Mapping[str, str] | ExpectedFailures | None) -> ExpectedFailures:
    """Any form a caller may give (None, {ID: reason}, ExpectedFailures) as ExpectedFailures."""
    if isinstance(value, ExpectedFailures):
        return value
    return ExpectedFailures.from_mapping(value or {})


def _entry(rid: Any, reason: Any, checks: Any, where: str) -> ExpectedEntry:
    if not isinstance(rid, str):
        raise SelectionError(f"{where}: {rid!r} is not a requirement ID")
    clean = rid.strip().upper()
    if clean not in catalogue.REQUIREMENTS:
        raise SelectionError(f"{where}: {rid!r} is not a requirement ID of contract {catalogue.VERSION} "
                             "(see `conformance requirements --changes` for retired IDs)")
    if catalogue.get(clean).level is catalogue.Level.INFO:
        raise SelectionError(f"{where}: {clean} is an INFO requirement: it is observed, never failed, "
                             "so it cannot be an expected failure")
    if reason is not None and not isinstance(reason, (str, int, float)):
        raise SelectionError(f"{where}: {clean}: the reason must be text")
    if checks is None:
        checks = []
    if isinstance(checks, str):
        checks = [checks]
    if not isinstance(checks, list) or not all(isinstance(name, str) and name.strip() for name in checks):
        raise SelectionError(f"{where}: {clean}: `checks` must be a list of check names")
    text = str(reason).strip() if reason is not None else ""
    return ExpectedEntry(clean, text or DEFAULT_REASON, tuple(name.strip() for name in checks))


def _add(entries: dict[str, ExpectedEntry], entry: ExpectedEntry, where: str) -> None:
    if entry.id in entries:
        raise SelectionError(f"{where}: {entry.id} is listed twice")
    entries[entry.id] = entry


def _parse_text(text: str, source: str) -> dict[str, ExpectedEntry]:
    entries: dict[str, ExpectedEntry] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        rid, _, reason = line.partition(" ")
        where = f"{source}, line {number}"
        _add(entries, _entry(rid, reason, None, where), where)
    return entries


def _parse_yaml(text: str, source: str) -> dict[str, ExpectedEntry]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f", line {mark.line + 1}" if mark is not None else ""
        raise SelectionError(f"{source}{at}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    entries: dict[str, ExpectedEntry] = {}
    if data is None:
        return entries
    if isinstance(data, list):
        for item in data:
            _add(entries, _entry(item, None, None, source), source)
        return entries
    if not isinstance(data, dict):
        raise SelectionError(f"{source}: expected a mapping of requirement IDs to reasons (or a list of IDs)")
    for rid, value in data.items():
        if isinstance(value, dict):
            unknown = set(value) - {"reason", "checks"}
            if unknown:
                raise SelectionError(f"{source}: {rid}: unknown key(s) {', '.join(map(str, sorted(unknown, key=str)))}; "
                                     "an entry has `reason` and `checks`")
            entry = _entry(rid, value.get("reason"), value.get("checks"), source)
        else:
            entry = _entry(rid, value, None, source)
        _add(entries, entry, source)
    return entries


def parse_expected_failures(text: str, source: str = "expected failures", *, yaml_form: bool = False,
                            allow_stale: bool = False) -> ExpectedFailures:
    """The entries of an expected-failures file (text form, or YAML with `yaml_form`)."""
    entries = _parse_yaml(text, source) if yaml_form else _parse_text(text, source)
    return ExpectedFailures(entries, source, allow_stale)


def load_expected_failures(path: str | Path, *, allow_stale: bool = False) -> ExpectedFailures:
    """Read an expected-failures file: YAML when it is named `.yml` / `.yaml`, the text form otherwise."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SelectionError(f"--expected-failures {path}: {size:,} bytes; an expected-failures file is a short "
                                 f"list (at most {MAX_FILE_BYTES:,} bytes)")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SelectionError(f"--expected-failures {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SelectionError(f"--expected-failures {path}: not a UTF-8 text file") from None
    return parse_expected_failures(text, str(path), yaml_form=path.suffix.lower() in (".yml", ".yaml"),
                                   allow_stale=allow_stale)
