"""``--format csv``: one row per device, for a spreadsheet or a shell pipeline.

Every cell is cleaned (no escape sequences or controls, length capped) and a cell a
spreadsheet would evaluate as a formula gets a leading ``'``: a device chooses its own banner,
and ``=HYPERLINK(...)`` in a Server header must stay text when an administrator opens the file.
"""

from __future__ import annotations

import csv
import io
from typing import TextIO

from scanner.model import IDENTITY, Device, ScanInfo
from scanner.output.base import StreamFormatter
from scanner.output.contract import sorted_devices, unit
from scanner.output.sanitize import clean, neutralise_formula, write_text

COLUMNS: tuple[str, ...] = (
    "ip",
    "mac",
    *IDENTITY,
    "confidence",
    "reason",
    "found_by",
    "open_ports",
    "risks",
    "kev",
    "possible_risks",
    "max_severity",
)

CELL_MAX = 1024
"""Longest cell, in characters (a reason or a model name is far shorter)."""


def _cell(value: str | bool | None) -> str:
    """'' for None, 'true'/'false' for a bool, text as it is."""
    if value is None:
        return ""
    return str(value).lower() if isinstance(value, bool) else value


_SEVERITIES = ("critical", "high", "medium", "low")


def _max_severity(device: Device) -> str:
    """The most severe affected finding's severity, '' when none."""
    found = {r.severity for r in device.risks if r.status == "affected"}
    return next((level for level in _SEVERITIES if level in found), "")


def row(device: Device) -> list[str]:
    """The cells of one device, in COLUMNS order, cleaned and formula-safe."""
    verdict = device.verdict
    raw = [
        device.ip,
        _cell(device.mac),
        *(_cell(getattr(verdict, name)) for name in IDENTITY),
        f"{unit(verdict.confidence):.2f}",
        verdict.reason,
        ";".join(device.found_by),
        ";".join(str(port) for port in device.open_ports),
        ";".join(r.id for r in device.risks if r.status == "affected"),
        ";".join(r.id for r in device.risks if r.status == "affected" and r.kev),
        ";".join(r.id for r in device.risks if r.status == "possible"),
        _max_severity(device),
    ]
    return [neutralise_formula(clean(cell, CELL_MAX)) for cell in raw]


class CsvFormatter(StreamFormatter):
    """Header at ``begin`` (an empty scan still gives a valid file), rows in IP order at ``end``.

    Lines end in ``\\n``: the file is read by shell tools as often as by spreadsheets, and
    both accept it.
    """

    def begin(self, stream: TextIO) -> None:
        super().begin(stream)
        self._write([list(COLUMNS)])

    def end(self, info: ScanInfo) -> None:
        self._write([row(device) for device in sorted_devices(self._devices)])
        self._out().flush()

    def _write(self, rows: list[list[str]]) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        write_text(self._out(), buffer.getvalue())
