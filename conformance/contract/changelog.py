"""What each version of the contract changed: IDs added, levels moved, wording changed, IDs retired.

A run's report names the contract version it judged against
(`catalogue.VERSION`). When two reports disagree about a requirement, this
changelog tells a changed contract (the ID is new, retired, or judges
something else since a version between the two) from a changed gateway
(nothing here explains it). `conformance requirements --changes` prints it;
`conformance diff` reads it.

To change the catalogue's IDs or levels: add a release here with its
entries, set `catalogue.VERSION` to it, and put the catalogue's new
`fingerprint()` in the release (tests/ci/test_contract_version.py says the
value when it is wrong).
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from conformance.contract import catalogue

__all__ = ["Change", "Entry", "Release", "CHANGELOG", "fingerprint", "release", "between", "changes_of", "version_key"]


class Change(str, enum.Enum):
    ADDED = "added"
    LEVEL = "level changed"
    WORDING = "wording changed"
    RETIRED = "retired"


@dataclass(frozen=True)
class Entry:
    id: str
    change: Change
    #: what changed, in one sentence a gateway team can act on
    note: str
    #: ADDED: its level; LEVEL: the level it moved to; RETIRED: the level it had
    level: str | None = None
    #: LEVEL: the level it had before
    previous_level: str | None = None

    def describe(self) -> str:
        if self.change is Change.LEVEL:
            return f"{self.id} {self.previous_level} -> {self.level}: {self.note}"
        if self.change is Change.ADDED:
            return f"{self.id} added ({self.level}): {self.note}"
        return f"{self.id} {self.change.value}: {self.note}"


@dataclass(frozen=True)
class Release:
    version: str
    date: str
    summary: str
    entries: tuple[Entry, ...] = ()
    #: fingerprint() of the catalogue's IDs and levels at this version (a test rebuilds each from the entries)
    fingerprint: str = ""


_PREF_SCOPE = "judged on Prefer values without quoted-strings; a mode name inside one or as a parameter is GW-PREF-09's"
_PATH_SCOPE = ("the path is compared after decoding unreserved characters (RFC 3986 6.2.2.2) and judged on paths without "
               "encoded reserved characters or empty segments; those are GW-SYNC-05's")

CHANGELOG: tuple[Release, ...] = (
    Release("1.0", "2026-11-25", "The first numbered contract: 59 IDs (53 gateway, 6 container).",
            fingerprint="b54592b605b2946e"),
    Release(
        "1.1", "2026-12-01",
        "Edge cases only a grammar decides move from MUSTs to SHOULDs of their own, so that a MUST failure always "
        "means a real client breaks; container authors get an INFO of which modes work end to end.",
        (
            Entry("GW-PREF-09", Change.ADDED, "a mode name inside a quoted-string value or as a parameter selects "
                  "nothing (RFC 7240 grammar); these inputs left GW-PREF-01..05", level="SHOULD"),
            Entry("GW-SYNC-05", Change.ADDED, "percent-encoded octets (%2F, %3F, %23, %25) and empty segments of the "
                  "path reach the container as sent; these inputs left the MUSTs that compare requests", level="SHOULD"),
            Entry("CT-MODES-01", Change.ADDED, "which of the gateway's modes a container works with end to end behind "
                  "the reference gateway", level="INFO"),
            *(Entry(rid, Change.WORDING, _PREF_SCOPE) for rid in
              ("GW-PREF-01", "GW-PREF-02", "GW-PREF-03", "GW-PREF-04", "GW-PREF-05")),
            *(Entry(rid, Change.WORDING, _PATH_SCOPE) for rid in ("GW-SYNC-01", "GW-ASYNC-07", "GW-PROXY-03", "GW-CONT-01")),
        ),
        fingerprint="d936ffa76be0fa81",
    ),
)


def fingerprint(levels: Mapping[str, str] | None = None) -> str:
    """A short hash of IDs and levels (ID -> level; default: the catalogue's), not of the project's wording:
    it moves exactly when a release is due."""
    current = {rid: req.level.value for rid, req in catalogue.REQUIREMENTS.items()} if levels is None else levels
    text = "\n".join(sorted(f"{rid} {level}" for rid, level in current.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def version_key(version: str | None) -> tuple[int, ...] | None:
    """`"1.10"` -> (1, 10); None for a missing or unreadable version."""
    if not version:
        return None
    try:
        return tuple(int(part) for part in str(version).split("."))
    except ValueError:
        return None


def release(version: str) -> Release:
    for item in CHANGELOG:
        if item.version == version:
            return item
    raise KeyError(f"contract version {version!r} is not in the changelog (known: "
                   f"{', '.join(r.version for r in CHANGELOG)})")


def between(old: str | None, new: str | None, history: Sequence[Release] = CHANGELOG) -> list[Release]:
    """The releases that separate two contract versions, oldest first, whichever of the two is newer.

    A missing or unreadable version stands for "before every release we
    know of" on the older side and "the newest we know of" on the newer.
    """
    a, b = version_key(old), version_key(new)
    if a is not None and b is not None:
        if a == b:
            return []
        low, high = min(a, b), max(a, b)
    else:
        low, high = a, b  # the unknown side is open: before everything (old) or after everything (new)
    found = []
    for item in history:
        key = version_key(item.version)
        if key is None or (low is not None and key <= low) or (high is not None and key > high):
            continue
        found.append(item)
    return found


def changes_of(rid: str, old: str | None, new: str | None,
               history: Sequence[Release] = CHANGELOG) -> list[tuple[Release, Entry]]:
    """What the releases between `old` and `new` changed about requirement `rid`."""
    return [(item, entry) for item in between(old, new, history) for entry in item.entries if entry.id == rid]
