"""Helpers for the audit tests: the real scan documents, copies to edit, schema checks."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource

from scanner.audit import ScanDocument, parse_document
from scanner.output import load_schema

SCANS = Path(__file__).parent.parent / "fixtures" / "scans"
SCHEMA_DIR = Path(__file__).parent.parent.parent / "scanner" / "schema"

Run = Callable[..., tuple[int, str, str]]


def scan(name: str) -> dict[str, Any]:
    """A fresh copy of a fixture document (tests edit it)."""
    return copy.deepcopy(_cached(name))


_CACHE: dict[str, dict[str, Any]] = {}


def _cached(name: str) -> dict[str, Any]:
    if name not in _CACHE:
        _CACHE[name] = json.loads((SCANS / name).read_text("utf-8"))
    return _CACHE[name]


def device(doc: dict[str, Any], ip: str) -> dict[str, Any]:
    """The device object at ``ip`` in ``doc``."""
    return next(d for d in doc["devices"] if d["ip"] == ip)


def parsed(doc: dict[str, Any], label: str) -> ScanDocument:
    """``doc`` as the audit commands read it, named ``label``."""
    return parse_document(json.dumps(doc), label)


def write(path: Path, doc: object) -> str:
    path.write_text(json.dumps(doc, indent=1), "utf-8")
    return str(path)


def validate_scan(doc: dict[str, Any]) -> None:
    """Raise unless ``doc`` is a valid camscan/1 document."""
    jsonschema.Draft202012Validator(load_schema()).validate(doc)


def validate_diff(doc: dict[str, Any]) -> None:
    """Raise unless ``doc`` is a valid camscan-diff/1 document."""
    schema = json.loads((SCHEMA_DIR / "camscan-diff-1.schema.json").read_text("utf-8"))
    contract = load_schema()
    registry: Registry[Any] = Registry().with_resource(
        contract["$id"], Resource.from_contents(contract)
    )
    jsonschema.Draft202012Validator(schema, registry=registry).validate(doc)
