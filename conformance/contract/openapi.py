"""The OpenAPI description of the gateway surface and of the mock container.

The repository's `openapi.yaml` is the one users read; the package ships
the same file (`conformance/contract/openapi.yaml`, kept identical by a test) so an
installed suite can check a gateway against it. One document holds both
surfaces (see its description): the gateway's paths, the mock container's
control paths, and the mock's inference side as webhooks with `x-path`.
`gateway_document()` and `mock_document()` cut it into the two APIs a
schema tool can run against.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

__all__ = ["SPEC_PATH", "load", "gateway_document", "mock_document", "operations", "MOCK_TAG", "GATEWAY_TAG"]

SPEC_PATH = Path(__file__).with_name("openapi.yaml")
GATEWAY_TAG = "gateway"
MOCK_TAG = "mock-container"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@functools.lru_cache(maxsize=1)
def _loaded() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def load() -> dict[str, Any]:
    """The whole description (a fresh copy: callers may change it)."""
    return copy.deepcopy(_loaded())


def _tagged(item: dict[str, Any], tag: str) -> dict[str, Any] | None:
    """The path item with only the operations tagged `tag` (None when none is)."""
    kept = {key: value for key, value in item.items() if key not in METHODS}
    operations = {m: op for m, op in item.items() if m in METHODS and tag in op.get("tags", ())}
    if not operations:
        return None
    kept.update(operations)
    kept.pop("servers", None)
    return kept


def _document(spec: dict[str, Any], paths: dict[str, Any], servers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "servers": servers,
        "paths": paths,
        "components": spec.get("components", {}),
    }


def gateway_document() -> dict[str, Any]:
    """The gateway's API alone: its paths and operations, the top-level server."""
    spec = load()
    paths = {}
    for path, item in spec["paths"].items():
        kept = _tagged(item, GATEWAY_TAG)
        if kept is not None:
            paths[path] = kept
    return _document(spec, paths, spec["servers"])


def mock_document() -> dict[str, Any]:
    """The mock container's API alone: control paths, `/health`, and its inference side at the webhooks' `x-path`."""
    spec = load()
    paths = {}
    for path, item in spec["paths"].items():
        kept = _tagged(item, MOCK_TAG)
        if kept is not None:
            paths[path] = kept
    for name, item in spec.get("webhooks", {}).items():
        item = dict(item)
        path = item.pop("x-path")
        declared = {p.get("name") for p in item.get("parameters", []) if p.get("in") == "path"}
        for op in (item[m] for m in METHODS if m in item):
            declared |= {p.get("name") for p in op.get("parameters", []) if p.get("in") == "path"}
        for variable in _variables(path) - declared:
            item.setdefault("parameters", []).append(
                {"name": variable, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1},
                 "description": f"from the webhook {name!r}: any path the gateway forwards"})
        paths[path] = item
    servers = spec["x-mock-server"]
    return _document(spec, paths, servers)


def _variables(path: str) -> set[str]:
    return {part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")}


def operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    """Every (path, METHOD) a document describes."""
    return {(path, method.upper()) for path, item in document["paths"].items() for method in item if method in METHODS}
