"""The mutant folder reads its own declarations strictly: a module that says nothing, or says it in the wrong
place, is a problem the proof fails on (test_mutant_proof), never a module it skips."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.mutants.discovery import discover

GATEWAY = "from conformance.reference import ReferenceGateway\n\n\nclass Gateway(ReferenceGateway):\n    pass\n"


def write(root: Path, relative: str, declarations: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.parent / "__init__.py").touch()
    path.write_text(declarations + "\n" + GATEWAY, encoding="utf-8")


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    package = f"fake_mutants_{uuid.uuid4().hex[:8]}"
    root = tmp_path / package
    root.mkdir()
    (root / "__init__.py").touch()
    monkeypatch.syspath_prepend(str(tmp_path))
    return root, package


def test_a_module_that_declares_nothing_is_a_problem_not_a_skip(folder: tuple[Path, str]) -> None:
    root, package = folder
    write(root, "status/loses_some.py", "")
    found = discover(root, package)
    assert not found.mutants and not found.legal
    assert [p for p in found.problems if "loses_some declares no BREAKS" in p], found.problems


def test_declarations_are_checked_against_the_folder_and_the_checks(folder: tuple[Path, str]) -> None:
    root, package = folder
    write(root, "sync/good.py", 'BREAKS = "GW-SYNC-05"\nAIMED_AT = ("path_reaches_container_as_sent", "sync_relay_property")')
    write(root, "status/misplaced.py", 'BREAKS = "GW-SYNC-05"\nAIMED_AT = "path_reaches_container_as_sent"')
    write(root, "sync/unaimed.py", 'BREAKS = "GW-SYNC-05"')
    write(root, "sync/wrong_aim.py", 'BREAKS = "GW-SYNC-05"\nAIMED_AT = "submission_accepted"')
    write(root, "legal/silent.py", "")
    write(root, "legal/fine.py", "LEGALLY_FAILS = frozenset()")
    write(root, "misc/stray.py", 'BREAKS = "GW-SYNC-05"\nAIMED_AT = "path_reaches_container_as_sent"')
    found = discover(root, package)
    assert [m.name for m in found.mutants] == ["sync.good"]
    assert found.mutants[0].aimed_at == ("path_reaches_container_as_sent", "sync_relay_property")
    assert [v.name for v in found.legal] == ["legal.fine"]
    problems = "\n".join(found.problems)
    assert "status.misplaced breaks GW-SYNC-05, whose mutants live in sync/" in problems
    assert "sync.unaimed breaks GW-SYNC-05 but declares no AIMED_AT" in problems
    assert "sync.wrong_aim AIMED_AT names ['submission_accepted'], which do not judge GW-SYNC-05" in problems
    assert "legal.silent is in legal/ but declares no LEGALLY_FAILS" in problems
    assert "misc.stray is in misc/, which is no contract section" in problems
    assert len(found.problems) == 5


def test_the_projects_own_mutants_declare_themselves() -> None:
    found = discover()
    assert not found.problems, "\n".join(found.problems)
    assert len(found.mutants) > 70 and len(found.legal) >= 9
