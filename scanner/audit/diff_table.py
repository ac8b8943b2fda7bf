"""``camscan diff -f table``: the differences between two scans, for a person.

Same drawing rules as ``--format table`` (scanner.output.table): plain text when written to a
file or a pipe, and every cell cleaned of escape sequences and controls, since the values were
written by devices.
"""

from __future__ import annotations

from typing import Any, TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from scanner.audit.diff import Diff
from scanner.audit.document import DeviceRecord, ScanDocument
from scanner.output.sanitize import clean, write_text
from scanner.output.table import (
    CELL_MAX,
    console_for,  # the one console setup
)


def _cell(value: Any) -> Text:
    """A cell is Text, never markup; None shows as '-'."""
    if value is None or value == "":
        return Text("-")
    return Text(clean(str(value), CELL_MAX))


def _table(title: str, headers: tuple[str, ...], rows: list[tuple[Any, ...]]) -> Table:
    table = Table(
        title=Text(title),
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
        header_style="bold",
    )
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(value) for value in row))
    return table


_DEVICE_HEADERS = ("IP", "MAC", "Manufacturer", "Brand", "Model", "Firmware", "Type")


def _device_rows(devices: tuple[DeviceRecord, ...]) -> list[tuple[Any, ...]]:
    return [
        (
            d.ip,
            d.mac,
            d.verdict("manufacturer"),
            d.verdict("brand"),
            d.verdict("model"),
            d.verdict("firmware"),
            d.verdict("device_type"),
        )
        for d in devices
    ]


def _side(doc: ScanDocument) -> str:
    count = len(doc.devices)
    return f"{doc.label} ({doc.scan['started']}, {count} device{'' if count == 1 else 's'})"


def totals_line(diff: Diff) -> str:
    """'1 appeared, 2 vanished, 0 changed, 1 moved, 20 unchanged' or 'No differences: ...'."""
    if diff.same:
        return f"No differences: {diff.unchanged} devices, identified the same way."
    return (
        f"{len(diff.appeared)} appeared, {len(diff.vanished)} vanished, "
        f"{len(diff.changed)} changed, {len(diff.moved)} moved, {diff.unchanged} unchanged"
    )


def _sections(diff: Diff) -> list[Table]:
    tables: list[Table] = []
    if diff.appeared:
        title = f"Appeared ({len(diff.appeared)})"
        tables.append(_table(title, _DEVICE_HEADERS, _device_rows(diff.appeared)))
    if diff.vanished:
        title = f"Vanished ({len(diff.vanished)})"
        tables.append(_table(title, _DEVICE_HEADERS, _device_rows(diff.vanished)))
    if diff.changed:
        rows: list[tuple[Any, ...]] = [
            (change.ip, change.mac, name, old, new)
            for change in diff.changed
            for name, (old, new) in change.changes.items()
        ]
        title = f"Changed ({len(diff.changed)})"
        tables.append(_table(title, ("IP", "MAC", "Field", "Old", "New"), rows))
    if diff.moved:
        rows = [(m.old_ip, m.new_ip, m.mac, m.serial, m.matched_by) for m in diff.moved]
        title = f"Moved ({len(diff.moved)})"
        tables.append(_table(title, ("From", "To", "MAC", "Serial", "Matched by"), rows))
    return tables


def write_diff_table(diff: Diff, stream: TextIO) -> None:
    """Draw ``diff`` on ``stream``: a heading, one table per kind of difference, the totals."""
    console: Console = console_for(stream)
    with console.capture() as capture:
        console.print(Text(f"old: {clean(_side(diff.old))}"))
        console.print(Text(f"new: {clean(_side(diff.new))}"))
        for table in _sections(diff):
            console.print()
            console.print(table)
        console.print()
        console.print(Text(totals_line(diff)))
    write_text(stream, capture.get())
    stream.flush()
