"""Every gateway requirement of the contract has a check, and every check names real requirements."""

from __future__ import annotations

import pytest

from conformance import catalogue
from conformance.checks import REGISTRY, all_checks, check


def test_every_gateway_requirement_has_a_check() -> None:
    covered = {rid for c in all_checks() for rid in c.ids}
    missing = [req.id for req in catalogue.gateway_requirements() if req.id not in covered]
    assert not missing, f"requirements without a check: {missing}"


def test_every_check_names_only_catalogue_ids() -> None:
    unknown = {c.name: [rid for rid in c.ids if rid not in catalogue.REQUIREMENTS] for c in all_checks()}
    assert not {name: ids for name, ids in unknown.items() if ids}


def test_registering_an_unknown_id_fails_at_import_time() -> None:
    with pytest.raises(KeyError, match="GW-NOPE-99"):
        check("GW-NOPE-99")
    assert all("GW-NOPE-99" not in c.ids for c in REGISTRY.values())


def test_checks_are_documented_and_named_for_their_ids() -> None:
    for c in all_checks():
        assert c.description.strip(), f"{c.name} has no docstring saying what it sends and expects"
        assert all(rid in c.node_name for rid in c.ids)


def test_check_modules_follow_the_contract_sections() -> None:
    sections = {catalogue.get(rid).section for c in all_checks() for rid in c.ids}
    assert sections == {req.section for req in catalogue.gateway_requirements()}
    assert [c.module for c in all_checks()] == sorted((c.module for c in all_checks()),
                                                       key=["prefer", "sync", "async_", "status", "result", "proxy",
                                                            "container", "load"].index)
