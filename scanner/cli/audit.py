"""The audit commands, ``camscan diff``, ``merge`` and ``report``: click only, over scanner.audit.

They are added to the main group by scanner.cli (``cli.add_command`` for each of
AUDIT_COMMANDS).

Exit status: 0 done (diff: no differences), 1 (diff only) the scans differ, as diff(1) does,
2 a usage error: a missing or unreadable file, a file that is not a camscan/1 document, a bad
option; one line on stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

import click

from scanner.audit.diff import diff_documents, diff_to_dict
from scanner.audit.diff_table import write_diff_table
from scanner.audit.document import load_document, load_documents
from scanner.audit.merge import merge_documents
from scanner.audit.report import render_report
from scanner.cli.common import open_output
from scanner.errors import UsageError
from scanner.output.contract import dumps
from scanner.output.sanitize import write_text

EXIT_SAME, EXIT_DIFFERENT = 0, 1
DIFF_FORMATS = ("table", "json")


def _write_json(stream: TextIO, obj: Any) -> None:
    write_text(
        stream,
        dumps(obj, indent=2) + "\n",
        fallback=lambda: dumps(obj, indent=2, ascii_only=True) + "\n",
    )
    stream.flush()


def _diff_format(fmt: str | None, output: str | None) -> str:
    """-f if given; else json for an -o ending in .json, table for another -o; without -o,
    table on a terminal and json in a pipe."""
    if fmt is None and output is not None:
        fmt = "json" if Path(output).suffix.lower() == ".json" else "table"
    fmt = fmt or ("table" if sys.stdout.isatty() else "json")
    if fmt not in DIFF_FORMATS:
        raise UsageError(f"camscan: unknown format '{fmt}' (diff writes: table, json)")
    return fmt


output_option = click.option(
    "-o", "--output", type=str, default=None, metavar="FILE", help="Write to FILE, not stdout."
)


@click.command("diff")
@click.argument("old", metavar="OLD.json")
@click.argument("new", metavar="NEW.json")
@click.option(
    "-f",
    "--format",
    "fmt",
    type=str,
    default=None,
    metavar="table|json",
    help="Output format. Default: table on a terminal, else json (or from -o's extension).",
)
@output_option
@click.pass_context
def diff_command(
    ctx: click.Context, old: str, new: str, fmt: str | None, output: str | None
) -> None:
    """Compare two scans: devices that appeared, vanished, changed (maker, brand, model,
    firmware, compliance status) or moved to another address.

    Devices are paired by MAC, then serial, then IP address. Exit status as for diff(1):
    0 when the scans show the same devices, 1 when they differ, 2 on bad input."""
    name = _diff_format(fmt, output)
    result = diff_documents(*load_documents([old, new]))
    with open_output(output) as stream:
        if name == "json":
            _write_json(stream, diff_to_dict(result))
        else:
            write_diff_table(result, stream)
    ctx.exit(EXIT_SAME if result.same else EXIT_DIFFERENT)


@click.command("merge")
@click.argument("scans", nargs=-1, required=True, metavar="SCAN.json...")
@output_option
@click.option(
    "--same-site",
    is_flag=True,
    help="The scans are all of one network: pair devices by IP address across them too "
    "(by default only MAC or serial pairs devices of different scans).",
)
def merge_command(scans: tuple[str, ...], output: str | None, same_site: bool) -> None:
    """Combine scans (sites, VLANs, days) into one camscan/1 document.

    A device seen in several scans appears once, with every sighting in its "seen_in" list.
    Same MAC, or same serial, is one device; the same IP address is one device only within
    one scan (or across all with --same-site)."""
    docs = load_documents(scans)
    merged = merge_documents(docs, same_site=same_site)
    with open_output(output) as stream:
        _write_json(stream, merged)


@click.command("report")
@click.argument("scan", metavar="SCAN.json")
@output_option
def report_command(scan: str, output: str | None) -> None:
    """Write one self-contained HTML report of a scan: summary, maker chart, device table
    and the evidence behind each verdict. It needs no network and no JavaScript to read."""
    if output is None and sys.stdout.isatty():
        raise UsageError("camscan: report writes HTML (give -o report.html, or pipe it)")
    page = render_report(load_document(scan))
    with open_output(output) as stream:
        write_text(stream, page)
        stream.flush()


AUDIT_COMMANDS: tuple[click.Command, ...] = (diff_command, merge_command, report_command)
"""The commands scanner.cli adds to its group."""
