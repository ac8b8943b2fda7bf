"""Read a ``camscan/1`` document back from a file, for diff, merge and report.

The file is the user's, but its values were written by devices: every check here is about the
shape (a wrong file must fail with one line, not a traceback deep in diff or merge), and the
values are kept exactly as they are. What is checked is what the audit commands rely on and what
a merged document must still satisfy to validate against the schema.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from scanner.audit import shape
from scanner.errors import UsageError
from scanner.output.contract import SCHEMA

DOCUMENT_MAX = 256 * 1024 * 1024
"""Largest document read, in bytes (a /16 scan with full evidence is far smaller)."""

_FIX = "give a file written by 'camscan scan -f json', demo, identify or merge"
_JSONL_FIX = "a camscan/1 document is one JSON object: write the scan with -f json, not jsonl"


@dataclass(frozen=True, slots=True, eq=False)
class DeviceRecord:
    """One device object of a document, with the keys the audit commands match on.

    Compared by identity: two devices of one scan may share an address or a (bogus) serial."""

    ip: str
    mac: str | None
    serial: str | None
    """``verdict.serial``, None when absent or blank."""
    data: Mapping[str, Any]
    """The device object exactly as the document has it."""

    def verdict(self, name: str) -> Any:
        """One field of the device's verdict (``manufacturer``, ``model``, ...)."""
        return self.data["verdict"].get(name)

    @property
    def compliance_status(self) -> str | None:
        """``compliance.status``, or None for a document written before compliance blocks."""
        block = self.data.get("compliance")
        return block["status"] if isinstance(block, dict) else None


@dataclass(frozen=True, slots=True)
class ScanDocument:
    """A checked ``camscan/1`` document and the name the user gave it."""

    label: str
    """The path as given on the command line: how the document is named in results."""
    scan: Mapping[str, Any] = field(compare=False)
    devices: tuple[DeviceRecord, ...]
    data: Mapping[str, Any] = field(compare=False)
    """The whole document as read (extensions such as ``compliance`` included)."""


def load_document(path: str) -> ScanDocument:
    """Read and check the ``camscan/1`` document at ``path``; UsageError says what is wrong."""
    raw = _read(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        _bad(path, "is not UTF-8 text")
    return parse_document(text, path)


def parse_document(text: str, label: str) -> ScanDocument:
    """Check ``text`` as a ``camscan/1`` document named ``label``."""
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # several values: most likely -f jsonl, a device a line
            _bad(label, f"holds more than one JSON value (line {exc.lineno})", _JSONL_FIX)
        _bad(label, f"is not JSON: {exc.msg} at line {exc.lineno}")
    except RecursionError:
        _bad(label, "is not a camscan/1 document: JSON nested too deeply")
    except ValueError as exc:
        _bad(label, f"is not a camscan/1 document: {exc}")
    if not isinstance(data, dict):
        _bad(label, "is not a camscan/1 document: expected a JSON object")
    schema = data.get("schema")
    if schema != SCHEMA:
        found = f"'schema' is {schema[:40]!r}" if isinstance(schema, str) else "no 'schema' key"
        _bad(label, f"is not a camscan/1 document: {found}")
    problem = shape.SCAN(data.get("scan"))
    if problem is not None:
        _bad(label, f"is not a camscan/1 document: scan{problem}")
    scan: dict[str, Any] = data["scan"]
    devices = data.get("devices")
    if not isinstance(devices, list):
        _bad(label, "is not a camscan/1 document: 'devices' must be a list")
    records = tuple(_record(label, index, item) for index, item in enumerate(devices))
    return ScanDocument(label, scan, records, data)


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(DOCUMENT_MAX + 1)
    except OSError as exc:
        raise UsageError(
            f"camscan: cannot read '{path}': {exc.strerror or exc} (give a readable file)"
        ) from None
    if len(raw) > DOCUMENT_MAX:
        _bad(path, f"is larger than {DOCUMENT_MAX // (1024 * 1024)} MiB")
    return raw


def _no_constant(name: str) -> NoReturn:
    """camscan never writes NaN or Infinity; a document holding one was not written by it."""
    raise ValueError(f"{name} is not allowed")


def _bad(label: str, problem: str, fix: str = _FIX) -> NoReturn:
    name = Path(label).name if len(label) > 200 else label
    raise UsageError(f"camscan: '{name}' {problem} ({fix})")


def _record(label: str, index: int, item: object) -> DeviceRecord:
    problem = shape.DEVICE(item)
    if problem is not None:
        _bad(label, f"is not a camscan/1 document: devices[{index}]{problem}")
    assert isinstance(item, dict)
    serial = item["verdict"]["serial"]
    serial = serial.strip() if isinstance(serial, str) else None
    return DeviceRecord(item["ip"], item["mac"], serial or None, item)
