"""The checks, one module per contract section (h2spec-style).

Each check is a small async function registered with `@check(ID, ...)`,
naming the requirement IDs it judges; its docstring says what it sends and
what it expects. Checks speak HTTP only: to the gateway through
`ctx.gateway`, to the mock container's control API through `ctx.mock`.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from conformance.contract import catalogue
from conformance.contract.catalogue import Level

__all__ = ["Check", "check", "REGISTRY", "all_checks", "checks_for", "MODULES", "Kind", "KINDS", "kind_of"]

#: the modules holding checks, in contract order: each section's hand-written checks, then its property
#: (`*_properties`, generated cases around the same requirements). Two modules span sections and come
#: last: `stateful_model` (one sequence of submissions and reads judges the accept, the status and result
#: routes and fire-and-forget delivery together) and `schema` (openapi.yaml's three operations).
MODULES = ("prefer", "prefer_properties", "sync", "sync_properties", "async_", "async_properties", "status", "result",
           "proxy", "container", "container_properties", "load", "stateful_model", "schema")


@dataclass(frozen=True)
class Kind:
    """What a run judges: a gateway (GW-* IDs) or a container on its own (CT-* IDs)."""

    name: str
    #: every requirement ID of this kind starts with it
    prefix: str
    #: the modules whose checks judge those IDs, in contract order
    modules: tuple[str, ...]


#: The one place a gateway run and a container run are told apart: a run of
#: one kind imports only its modules and selects only checks of its IDs, so
#: `conformance run` never runs a CT check and `conformance container` never a GW one.
KINDS = {
    "gateway": Kind("gateway", catalogue.KIND_PREFIXES["gateway"], MODULES),
    "container": Kind("container", catalogue.KIND_PREFIXES["container"], ("container_side",)),
}


def kind_of(rid: str) -> Kind:
    """The kind of run that judges requirement `rid`."""
    return KINDS[catalogue.kind_of(rid)]

CheckFunc = Callable[..., Awaitable[None]]

_LEVEL_RANK = {Level.MUST: 0, Level.SHOULD: 1, Level.INFO: 2}


@dataclass(frozen=True)
class Check:
    name: str
    module: str
    ids: tuple[str, ...]
    func: CheckFunc = field(repr=False, compare=False)
    description: str = ""
    #: "main" checks run together; "exclusive" ones run before them, one at a time,
    #: because they judge latency and would both disturb and be disturbed by others
    phase: str = "main"
    #: sends a latency-judged request (T_accept); the other checks start once it is out
    timed: bool = False
    #: loads the gateway (N concurrent requests, very large bodies): at most HEAVY_LANES
    #: of these run at once, so the others' requests meet a gateway that is not swamped
    heavy: bool = False

    @property
    def summary(self) -> str:
        return self.description.strip().splitlines()[0] if self.description.strip() else self.name

    @property
    def level(self) -> Level:
        """The strongest level among the IDs it covers."""
        return min((catalogue.get(rid).level for rid in self.ids), key=_LEVEL_RANK.__getitem__)

    @property
    def node_name(self) -> str:
        """The pytest item name: the check and every ID it covers, so `-k GW-ASYNC` finds it."""
        return f"{self.name}[{','.join(self.ids)}]"


REGISTRY: dict[str, Check] = {}


def check(*ids: str, phase: str = "main", timed: bool = False, heavy: bool = False) -> Callable[[CheckFunc], CheckFunc]:
    """Register the decorated coroutine function as a check of `ids`."""
    if not ids:
        raise ValueError("a check must name at least one requirement ID")
    for rid in ids:
        catalogue.get(rid)  # KeyError names an unknown ID at import time
    if len({kind_of(rid).name for rid in ids}) > 1:
        raise ValueError(f"a check judges one kind of target, not both: {', '.join(ids)}")
    if phase not in ("main", "exclusive"):
        raise ValueError(f"unknown phase {phase!r}")

    def register(func: CheckFunc) -> CheckFunc:
        module = func.__module__.rsplit(".", 1)[-1]
        name = func.__name__
        if name in REGISTRY and REGISTRY[name].func is not func:
            raise ValueError(f"two checks are named {name!r}")
        REGISTRY[name] = Check(name, module, tuple(ids), func, func.__doc__ or "", phase, timed, heavy)
        return func

    return register


def all_checks(kind: str = "gateway") -> list[Check]:
    """Every registered check of this kind of run, in module order then definition order."""
    chosen = KINDS[kind]
    for module in chosen.modules:
        importlib.import_module(f"{__name__}.{module}")
    order = {module: index for index, module in enumerate(chosen.modules)}
    mine = (c for c in REGISTRY.values() if c.ids[0].startswith(chosen.prefix))
    return sorted(mine, key=lambda c: order.get(c.module, len(order)))


def checks_for(rid: str) -> list[Check]:
    return [c for c in all_checks(kind_of(rid).name) if rid in c.ids]
