"""Every requirement of the contract (gateway and container side) has a check, and every check names real requirements."""

from __future__ import annotations

import pytest

from conformance.contract import catalogue
from conformance.checks import KINDS, REGISTRY, all_checks, check


def test_every_gateway_requirement_has_a_check() -> None:
    covered = {rid for c in all_checks() for rid in c.ids}
    missing = [req.id for req in catalogue.gateway_requirements() if req.id not in covered]
    assert not missing, f"requirements without a check: {missing}"


def test_every_container_requirement_has_a_check() -> None:
    covered = {rid for c in all_checks("container") for rid in c.ids}
    missing = [req.id for req in catalogue.container_requirements() if req.id not in covered]
    assert not missing, f"container requirements without a check: {missing}"


def test_every_requirement_belongs_to_exactly_one_kind_of_run() -> None:
    for rid in catalogue.REQUIREMENTS:
        assert sum(rid.startswith(kind.prefix) for kind in KINDS.values()) == 1, rid


def test_a_gateway_run_never_gets_a_container_check_and_vice_versa() -> None:
    gateway, container = all_checks("gateway"), all_checks("container")
    assert gateway and all(rid.startswith("GW-") for c in gateway for rid in c.ids)
    assert container and all(rid.startswith("CT-") for c in container for rid in c.ids)
    assert {c.module for c in container} == {"container_side"}


def test_a_check_cannot_mix_gateway_and_container_ids() -> None:
    with pytest.raises(ValueError, match="one kind of target"):
        check("GW-SYNC-01", "CT-SYNC-01")


def test_every_check_names_only_catalogue_ids() -> None:
    checks = all_checks() + all_checks("container")
    unknown = {c.name: [rid for rid in c.ids if rid not in catalogue.REQUIREMENTS] for c in checks}
    assert not {name: ids for name, ids in unknown.items() if ids}


def test_registering_an_unknown_id_fails_at_import_time() -> None:
    with pytest.raises(KeyError, match="GW-NOPE-99"):
        check("GW-NOPE-99")
    assert all("GW-NOPE-99" not in c.ids for c in REGISTRY.values())


def test_checks_are_documented_and_named_for_their_ids() -> None:
    for c in all_checks() + all_checks("container"):
        assert c.description.strip(), f"{c.name} has no docstring saying what it sends and expects"
        assert all(rid in c.node_name for rid in c.ids)


@pytest.mark.parametrize("kind", list(KINDS))
def test_check_modules_follow_the_contract_sections(kind: str) -> None:
    checks = all_checks(kind)
    requirements = [req for req in catalogue.REQUIREMENTS.values() if req.id.startswith(KINDS[kind].prefix)]
    assert {catalogue.get(rid).section for c in checks for rid in c.ids} == {req.section for req in requirements}
    assert [c.module for c in checks] == sorted((c.module for c in checks), key=KINDS[kind].modules.index)
