"""Read a ``camscan/1`` document back from a file, for diff, merge and report.

The file is the user's, but its values were written by devices: every check here is about the
shape (a wrong file must fail with one line, not a traceback deep in diff or merge), and the
values are kept exactly as they are. What is checked is what the audit commands rely on and what
a merged document must still satisfy to validate against the schema.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from scanner.audit import shape
from scanner.errors import UsageError
from scanner.output.contract import SCHEMA

_MIB = 1024 * 1024
DOCUMENT_MAX = 24 * _MIB
"""Largest document read, in bytes: some 14,000 devices with their evidence (a real scan
document is 1.7 KiB a device), which Python holds in about 200 MB. 256 MiB let 39 MB of
``{}`` grow to 1 GB (issue 12, item 10)."""
DOCUMENTS_MAX = 28 * _MIB
"""Bytes of all the documents one command reads (diff reads two, merge any number): merge
holds its inputs and the merged document, about 13 bytes of memory per byte read."""
CONTAINERS_MAX = 1_000_000
"""Most ``{`` and ``[`` a document may hold (a real one has one per 100 bytes): each is a
Python dict or list, 60 bytes and more even when empty."""
ITEMS_MAX = 3_000_000
"""Most ``,`` a document may hold, which bounds its array items and object members."""
NESTING_MAX = 32
"""Deepest nesting of objects and arrays (a camscan/1 document needs under ten levels)."""

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
    size: int = field(default=0, compare=False)
    """Bytes of the file it was read from (0 when parsed from text)."""


def load_documents(paths: Sequence[str]) -> list[ScanDocument]:
    """Read and check each document, within DOCUMENTS_MAX bytes in all."""
    budget = DOCUMENTS_MAX
    documents = []
    for path in paths:
        document = load_document(path, min(budget, DOCUMENT_MAX))
        budget -= document.size
        documents.append(document)
    return documents


def load_document(path: str, limit: int | None = None) -> ScanDocument:
    """Read and check the ``camscan/1`` document at ``path``; UsageError says what is wrong.

    `limit`: bytes it may have (DOCUMENT_MAX, or less when other documents came first)."""
    raw = _read(path, DOCUMENT_MAX if limit is None else limit)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        _bad(path, "is not UTF-8 text")
    return dataclasses.replace(parse_document(text, path), size=len(raw))


def parse_document(text: str, label: str) -> ScanDocument:
    """Check ``text`` as a ``camscan/1`` document named ``label``."""
    _check_counts(text, label)
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
    if _depth(data) > NESTING_MAX:
        _bad(label, f"is not a camscan/1 document: JSON nested deeper than {NESTING_MAX}")
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


def _read(path: str, limit: int) -> bytes:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise UsageError(
            f"camscan: cannot read '{path}': {exc.strerror or exc} (give a readable file)"
        ) from None
    if len(raw) > limit:
        if limit < DOCUMENT_MAX:
            _bad(path, f"would pass {DOCUMENTS_MAX // _MIB} MiB of documents in all",
                 "merge fewer scans at a time, then merge the merged files")
        _bad(path, f"is larger than {DOCUMENT_MAX // _MIB} MiB",
             "report, diff or merge smaller scans: one per site or VLAN")
    return raw


def _check_counts(text: str, label: str) -> None:
    """Refuse, before parsing, a document that would make too many Python objects."""
    if text.count("{") + text.count("[") > CONTAINERS_MAX:
        _bad(label, f"is not a camscan/1 document: more than {CONTAINERS_MAX} objects and arrays")
    if text.count(",") > ITEMS_MAX:
        _bad(label, f"is not a camscan/1 document: more than {ITEMS_MAX} values")


def _depth(data: Any) -> int:
    """How deep objects and arrays nest in `data` (a stack, not recursion)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        deepest = max(deepest, depth)
        if depth <= NESTING_MAX:
            stack.extend((child, depth + 1) for child in item)
    return deepest


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
