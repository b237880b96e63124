"""The JSON report: `ResultDocument.to_dict()`, validated shape in result.schema.json."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from conformance.judge.model import ResultDocument

__all__ = ["write_json", "dumps", "schema"]


def dumps(document: ResultDocument) -> str:
    return json.dumps(document.to_dict(), indent=2, ensure_ascii=False) + "\n"


def write_json(document: ResultDocument, path: str | Path) -> Path:
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(document), encoding="utf-8")
    return path


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the document, shipped in the package."""
    return json.loads(resources.files("conformance.reports").joinpath("result.schema.json").read_text(encoding="utf-8"))
