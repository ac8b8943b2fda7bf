"""``--format table``: the devices as a table for a person, with a one-line summary below.

Drawn with ``rich``. On a terminal it has colour (NO_COLOR is honoured); written to a file or a
pipe it is plain text with no escape codes at all, whatever FORCE_COLOR says, and wide enough
that rows do not wrap. Every cell is cleaned of escape sequences and controls (a device writes
its own banner) and cut at CELL_MAX characters.
"""

from __future__ import annotations

from typing import TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from scanner.model import Device, ScanInfo, Verdict
from scanner.output.base import StreamFormatter
from scanner.output.contract import sorted_devices, summarize, unit
from scanner.output.sanitize import clean, write_text

CELL_MAX = 60
"""Longest cell, in characters; longer text ends in an ellipsis."""

PLAIN_WIDTH = 600
"""Line width when the stream is not a terminal: every column at CELL_MAX fits on one line."""

NARROW = 110
"""Terminal width below which the MAC column is left out."""

HEADERS: tuple[str, ...] = (
    "IP",
    "MAC",
    "Manufacturer",
    "Brand",
    "Model",
    "Type",
    "Conf.",
    "Flag",
    "Risk",
    "Reason",
)


def _cell(value: str | None) -> Text:
    """Cells are Text, never markup: ``[bold]`` or ``:smile:`` in a banner stays as written."""
    text = clean(value, CELL_MAX) if value else ""
    return Text(text or "-")


def _kind(verdict: Verdict) -> str | None:
    if verdict.device_type is not None:
        return verdict.device_type
    return "camera" if verdict.is_camera else None


def _reason(verdict: Verdict) -> str:
    """The verdict's reason, else the fingerprints it rests on."""
    if verdict.reason:
        return verdict.reason
    return ", ".join(ev.fingerprint for ev in verdict.evidence)


def _confidence(value: float) -> Text:
    value = unit(value)
    style = "green" if value >= 0.8 else "yellow" if value >= 0.5 else "dim"
    return Text(f"{value:.2f}", style=style)


def _flag(device: Device) -> Text:
    """'covered' (red) or 'possible' (yellow) when a regulatory list covers the device."""
    status = device.compliance.status if device.compliance else "unknown"
    if status == "covered":
        return Text("COVERED", style="bold red")
    if status == "possible":
        return Text("possible", style="yellow")
    return Text("-")


def risk_cell(device: Device) -> Text:
    """The findings in brief, most serious first: affected ids (KEV marked), then possible
    ones with '?'. Red when a KEV vulnerability is affected, yellow for any other."""
    parts = [
        f"{risk.id}{' KEV' if risk.kev else ''}{'' if risk.status == 'affected' else '?'}"
        for risk in device.risks
    ]
    if not parts:
        return Text("-")
    text = clean(", ".join(parts), CELL_MAX)
    kev = any(r.kev and r.status == "affected" for r in device.risks)
    affected = any(r.status == "affected" for r in device.risks)
    return Text(text, style="bold red" if kev else "yellow" if affected else "dim")


def _row(device: Device) -> dict[str, Text]:
    verdict = device.verdict
    return {
        "IP": _cell(device.ip),
        "MAC": _cell(device.mac),
        "Manufacturer": _cell(verdict.manufacturer),
        "Brand": _cell(verdict.brand),
        "Model": _cell(verdict.model),
        "Type": _cell(_kind(verdict)),
        "Conf.": _confidence(verdict.confidence),
        "Flag": _flag(device),
        "Risk": risk_cell(device),
        "Reason": _cell(_reason(verdict)),
    }


def summary_line(devices: list[Device]) -> str:
    """'3 devices, 2 cameras; by maker: Hikvision 2, Dahua 1'."""
    counts = summarize(devices)
    devices_n, cameras_n = counts["devices"], counts["cameras"]
    line = (
        f"{devices_n} device{'' if devices_n == 1 else 's'}, "
        f"{cameras_n} camera{'' if cameras_n == 1 else 's'}"
    )
    by_maker: dict[str, int] = counts["by_manufacturer"]
    makers = ", ".join(f"{clean(name, CELL_MAX)} {n}" for name, n in by_maker.items())
    line = f"{line}; by maker: {makers}" if makers else line
    covered = sum(1 for d in devices if d.compliance and d.compliance.status == "covered")
    possible = sum(1 for d in devices if d.compliance and d.compliance.status == "possible")
    if covered or possible:
        line += f"; covered by NDAA/FCC/UK lists: {covered}" + (
            f" (+{possible} possibly)" if possible else ""
        )
    kev = sum(1 for d in devices if any(r.kev and r.status == "affected" for r in d.risks))
    risky = sum(1 for d in devices if any(r.status == "affected" for r in d.risks))
    if risky:
        line += f"; at risk: {risky}" + (f" ({kev} with a known-exploited flaw)" if kev else "")
    return line


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):  # a closed or exotic stream is not a terminal
        return False


def console_for(stream: TextIO) -> Console:
    tty = _is_tty(stream)
    return Console(
        file=stream,
        force_terminal=tty,
        color_system="auto" if tty else None,
        width=None if tty else PLAIN_WIDTH,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
    )


#: Columns never wrapped (an address split over two lines is misread). The others wrap at
#: word boundaries, widest first, when the terminal is narrower than the table.
_WHOLE = ("IP", "MAC", "Type", "Conf.", "Flag")


def _headers(width: int) -> tuple[str, ...]:
    """All columns, or all but MAC on a terminal narrower than NARROW: the reason then has
    room to wrap over a few lines instead of one word a line (JSON and CSV keep the MAC)."""
    return HEADERS if width >= NARROW else tuple(h for h in HEADERS if h != "MAC")


def _table(devices: list[Device], width: int) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
        header_style="bold",
    )
    headers = _headers(width)
    for header in headers:
        table.add_column(header, no_wrap=header in _WHOLE, overflow="fold")
    for device in devices:
        cells = _row(device)
        table.add_row(*(cells[header] for header in headers))
    return table


class TableFormatter(StreamFormatter):
    """Holds the devices and draws them in IP order at ``end``."""

    def end(self, info: ScanInfo) -> None:
        stream = self._out()
        devices = sorted_devices(self._devices)
        console = console_for(stream)
        # Rendered to a string first, then written with the encoding fallback: a terminal
        # whose encoding cannot show a character gets a replacement, not a traceback.
        with console.capture() as capture:
            if devices:
                console.print(_table(devices, console.width))
            else:
                console.print(Text("No devices found."))
            console.print(Text(summary_line(devices)))
        write_text(stream, capture.get())
        stream.flush()
