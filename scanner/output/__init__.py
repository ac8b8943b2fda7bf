"""Output: one formatter per format over the same Devices; JSON is the contract.

fmt = make_formatter("jsonl")
fmt.begin(sys.stdout)
for device in scan: fmt.device(device)   # each device as soon as its verdict is final
fmt.end(info)
"""

from __future__ import annotations

from collections.abc import Callable

from scanner.output.base import Formatter
from scanner.output.contract import SCHEMA, device_to_dict, document, load_schema
from scanner.output.csv_out import CsvFormatter
from scanner.output.json_out import JsonFormatter
from scanner.output.jsonl_out import JsonlFormatter
from scanner.output.table import TableFormatter

_FACTORIES: dict[str, Callable[[], Formatter]] = {
    "table": TableFormatter,
    "json": JsonFormatter,
    "jsonl": JsonlFormatter,
    "csv": CsvFormatter,
}

FORMATS: tuple[str, ...] = tuple(_FACTORIES)
"""Names ``--format`` accepts; the first is the default for people."""


def make_formatter(name: str) -> Formatter:
    """A fresh formatter for ``name``; ValueError names the formats there are."""
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise ValueError(
            f"unknown output format {name!r}; choose one of: {', '.join(FORMATS)}"
        ) from None
    return factory()


__all__ = [
    "FORMATS",
    "SCHEMA",
    "CsvFormatter",
    "Formatter",
    "JsonFormatter",
    "JsonlFormatter",
    "TableFormatter",
    "device_to_dict",
    "document",
    "load_schema",
    "make_formatter",
]
