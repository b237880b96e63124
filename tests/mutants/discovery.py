"""The gateways below this folder, read from their module-level declarations.

The folder mirrors the contract's sections, one sub-package per module of
`conformance/checks/` (`prefer/`, `sync/`, `async_/`, `status/`, `result/`,
`proxy/`, `container/`, `load/`), plus `legal/` for legal variants. Every
module in a section folder is a *mutant* and declares:

- `BREAKS`: the one requirement ID it breaks (of that folder's section);
- `AIMED_AT`: the check, or checks, that must fail BREAKS by themselves
  (each check's own verdict, not the requirement's aggregate, is what the
  proof asserts: a check that stops judging cannot hide behind another that
  judges the same ID);

and may declare `ALSO_FAILS` (IDs its one bug also breaks, which the suite
may fail too; each justified in its docstring), `UNCAUGHT` (why the suite
cannot see the break yet: the proof marks it xfail, strict),
`GATEWAY_OPTIONS` (flags of `conformance gateway`) and `ALONE = True` (its
bug counts requests across every check, so the proof runs its AIMED_AT
checks alone, where which check meets the bug is certain). Every module in `legal/`
declares `LEGALLY_FAILS` (the SHOULD IDs its legal choice fails, possibly
none) and may declare `OBSERVES` ({INFO ID: text its observation contains})
and `RUN_KWARGS`. Each holds a `Gateway` class, a subclass of the reference
gateway.

A module that declares nothing, or declares it in the wrong folder, is a
`problem`: the proof fails on it instead of skipping it.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from conformance.checks import checks_for
from conformance.contract import catalogue

__all__ = ["Mutant", "LegalVariant", "Discovered", "discover", "mutants", "legal_variants", "family", "SECTION_FOLDERS",
           "LEGAL_FOLDER"]

HERE = Path(__file__).parent
PACKAGE = "tests.mutants"
#: requirement family -> the folder its mutants live in (the module of conformance/checks/ judging that section)
SECTION_FOLDERS = {
    "GW-PREF": "prefer",
    "GW-SYNC": "sync",
    "GW-ASYNC": "async_",
    "GW-STATUS": "status",
    "GW-RESULT": "result",
    "GW-PROXY": "proxy",
    "GW-CONT": "container",
    "GW-LOAD": "load",
    "GW-SEC": "load",
}
LEGAL_FOLDER = "legal"


def family(rid: str) -> str:
    """`GW-ASYNC-04` -> `GW-ASYNC`: the selection a mutant's run needs at least."""
    return catalogue.get(rid).family


@dataclass(frozen=True)
class Mutant:
    #: `section.module`, e.g. `async_.accept_without_location`
    name: str
    breaks: str
    aimed_at: tuple[str, ...]
    also_fails: frozenset[str] = frozenset()
    uncaught: str | None = None
    gateway_options: tuple[str, ...] = ()
    alone: bool = False

    @property
    def implementation(self) -> str:
        return f"{PACKAGE}.{self.name}:Gateway"

    @property
    def family(self) -> str:
        return family(self.breaks)

    @property
    def level(self) -> str:
        return catalogue.get(self.breaks).level.value


@dataclass(frozen=True)
class LegalVariant:
    name: str
    legally_fails: frozenset[str] = frozenset()
    observes: dict[str, str] = field(default_factory=dict)
    run_kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def implementation(self) -> str:
        return f"{PACKAGE}.{self.name}:Gateway"


@dataclass
class Discovered:
    mutants: list[Mutant] = field(default_factory=list)
    legal: list[LegalVariant] = field(default_factory=list)
    #: one sentence per module that does not say what it is, or says it wrongly
    problems: list[str] = field(default_factory=list)


def _modules(root: Path, package: str) -> list[tuple[str, ModuleType]]:
    """(folder, module) for every module of every sub-package; test_*, conftest and __init__ aside."""
    found = []
    for folder in sorted(info.name for info in pkgutil.iter_modules([str(root)]) if info.ispkg):
        for info in sorted(pkgutil.iter_modules([str(root / folder)]), key=lambda i: i.name):
            if info.ispkg or info.name.startswith("test_") or info.name == "conftest":
                continue
            found.append((folder, importlib.import_module(f"{package}.{folder}.{info.name}")))
    return found


def _ids(values: Any) -> frozenset[str]:
    ids = frozenset(values)
    for rid in ids:
        catalogue.get(rid)  # KeyError names an unknown ID
    return ids


def _mutant(folder: str, name: str, module: ModuleType) -> Mutant:
    breaks = module.BREAKS
    catalogue.get(breaks)
    want = SECTION_FOLDERS.get(family(breaks))
    if folder != want:
        raise ValueError(f"breaks {breaks}, whose mutants live in {want}/, not {folder}/")
    aimed = getattr(module, "AIMED_AT", None)
    if not aimed:
        raise ValueError(f"breaks {breaks} but declares no AIMED_AT (the check that must fail it by itself)")
    aimed = (aimed,) if isinstance(aimed, str) else tuple(aimed)
    judges = {check.name for check in checks_for(breaks)}
    strangers = [check for check in aimed if check not in judges]
    if strangers:
        raise ValueError(f"AIMED_AT names {strangers}, which do not judge {breaks} (its judges: {sorted(judges)})")
    return Mutant(
        name=name,
        breaks=breaks,
        aimed_at=aimed,
        also_fails=_ids(getattr(module, "ALSO_FAILS", ())),
        uncaught=getattr(module, "UNCAUGHT", None),
        gateway_options=tuple(getattr(module, "GATEWAY_OPTIONS", ())),
        alone=bool(getattr(module, "ALONE", False)),
    )


def discover(root: Path = HERE, package: str = PACKAGE) -> Discovered:
    """Every mutant and legal variant below `root` (this folder), and every module that does not say which it is."""
    out = Discovered()
    for folder, module in _modules(root, package):
        name = f"{folder}.{module.__name__.rsplit('.', 1)[-1]}"
        try:
            if not hasattr(module, "Gateway"):
                raise ValueError("has no Gateway class")
            if folder == LEGAL_FOLDER:
                if not hasattr(module, "LEGALLY_FAILS"):
                    raise ValueError("is in legal/ but declares no LEGALLY_FAILS (write frozenset() for none)")
                out.legal.append(LegalVariant(name, _ids(module.LEGALLY_FAILS), dict(getattr(module, "OBSERVES", {})),
                                              dict(getattr(module, "RUN_KWARGS", {}))))
            elif folder not in SECTION_FOLDERS.values():
                raise ValueError(f"is in {folder}/, which is no contract section ({sorted(set(SECTION_FOLDERS.values()))})")
            elif not hasattr(module, "BREAKS"):
                raise ValueError("declares no BREAKS: it is not known what it breaks, so nothing proves it is caught")
            else:
                out.mutants.append(_mutant(folder, name, module))
        except (ValueError, KeyError) as problem:
            out.problems.append(f"{package}.{name} {problem}")
    order = list(catalogue.REQUIREMENTS)
    out.mutants.sort(key=lambda m: (order.index(m.breaks), m.name))
    return out


def mutants() -> list[Mutant]:
    return discover().mutants


def legal_variants() -> list[LegalVariant]:
    return discover().legal
