"""The gateways in this folder, read from their module-level declarations.

A *mutant* module declares `BREAKS` (the one requirement ID it breaks) and
may declare `ALSO_FAILS` (IDs its one bug also breaks, which the suite may
fail too; each justified in its docstring), `UNCAUGHT` (why the suite cannot see the break yet: the
proof marks it xfail, strict) and `GATEWAY_OPTIONS` (flags of `conformance
gateway`). A *legal variant* module is named `legal_*` and declares
`LEGALLY_FAILS` (SHOULD IDs its legal choice fails), and may declare
`OBSERVES` ({INFO ID: text its observation contains}) and `RUN_KWARGS`
(e.g. the inference base when it serves under a prefix). Both hold a
`Gateway` class, a subclass of the reference gateway.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from conformance.contract import catalogue

__all__ = ["Mutant", "LegalVariant", "mutants", "legal_variants", "family"]

HERE = Path(__file__).parent
PACKAGE = "tests.mutants"
#: modules of this folder that are not gateways
NOT_GATEWAYS = frozenset({"conftest", "discovery", "score"})


def family(rid: str) -> str:
    """`GW-ASYNC-04` -> `GW-ASYNC`: the selection a mutant's run needs at least."""
    return catalogue.get(rid).family


@dataclass(frozen=True)
class Mutant:
    name: str
    breaks: str
    also_fails: frozenset[str] = frozenset()
    uncaught: str | None = None
    gateway_options: tuple[str, ...] = ()

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


def _gateway_modules() -> list[ModuleType]:
    names = sorted(info.name for info in pkgutil.iter_modules([str(HERE)])
                   if info.name not in NOT_GATEWAYS and not info.name.startswith("test_"))
    return [importlib.import_module(f"{PACKAGE}.{name}") for name in names]


def _checked_ids(module: ModuleType, ids: Any, what: str) -> frozenset[str]:
    ids = frozenset(ids)
    for rid in ids:
        catalogue.get(rid)  # KeyError names an unknown ID
    if not hasattr(module, "Gateway"):
        raise AttributeError(f"{module.__name__} declares {what} but has no Gateway class")
    return ids


def mutants() -> list[Mutant]:
    """Every module declaring BREAKS, sorted by the contract order of the ID it breaks, then by name."""
    found = []
    for module in _gateway_modules():
        if not hasattr(module, "BREAKS"):
            continue
        breaks = next(iter(_checked_ids(module, [module.BREAKS], "BREAKS")))
        found.append(Mutant(
            name=module.__name__.rsplit(".", 1)[-1],
            breaks=breaks,
            also_fails=_checked_ids(module, getattr(module, "ALSO_FAILS", ()), "ALSO_FAILS"),
            uncaught=getattr(module, "UNCAUGHT", None),
            gateway_options=tuple(getattr(module, "GATEWAY_OPTIONS", ())),
        ))
    order = list(catalogue.REQUIREMENTS)
    return sorted(found, key=lambda m: (order.index(m.breaks), m.name))


def legal_variants() -> list[LegalVariant]:
    """Every `legal_*` module."""
    found = []
    for module in _gateway_modules():
        name = module.__name__.rsplit(".", 1)[-1]
        if not name.startswith("legal_"):
            continue
        found.append(LegalVariant(
            name=name,
            legally_fails=_checked_ids(module, getattr(module, "LEGALLY_FAILS", ()), "LEGALLY_FAILS"),
            observes=dict(getattr(module, "OBSERVES", {})),
            run_kwargs=dict(getattr(module, "RUN_KWARGS", {})),
        ))
    return found
