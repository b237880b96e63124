"""Which requirements a run judges, and which failures a partial gateway expects."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from conformance.contract import catalogue

__all__ = ["Selection", "SelectionError", "parse_expected_failures", "load_expected_failures"]


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


def parse_expected_failures(text: str, source: str = "expected failures") -> dict[str, str]:
    """`ID reason...` per line (`#` starts a comment) -> {ID: reason}."""
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        rid, _, reason = line.partition(" ")
        rid = rid.strip().upper()
        if rid not in catalogue.REQUIREMENTS:
            raise SelectionError(f"{source}, line {number}: {rid!r} is not a requirement ID")
        entries[rid] = reason.strip() or "listed as an expected failure"
    return entries


def load_expected_failures(path: str | Path) -> dict[str, str]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SelectionError(f"--expected-failures {path}: {exc.strerror or exc}") from None
    return parse_expected_failures(text, str(path))
