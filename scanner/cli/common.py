"""What the commands share besides options: the recognizer, the output file and formatter.

Every error a user can cause is a scanner.errors.UsageError: one line, exit status 2.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import click

from scanner.cli.options import parse_firmware_age
from scanner.errors import UsageError
from scanner.output import FORMATS, make_formatter
from scanner.policy import PolicyWatch
from scanner.recognize import Recognizer
from scanner.risk import STALE_DAYS, AdvisoryData

EXTENSIONS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
QUIET_ENV = "CAMSCAN_NO_DATA_WARNING"
"""Set to 1 to silence the staleness warning (a pipeline that treats stderr as failure)."""


def stale_warning(data: AdvisoryData, today: dt.date | None = None) -> str | None:
    """One line when the advisory data is older than STALE_DAYS, else None."""
    if not data.advisories or os.environ.get(QUIET_ENV) == "1":
        return None
    age = data.age_days(today or dt.date.today())
    if age <= STALE_DAYS:
        return None
    return (
        f"camscan: warning: the advisory data ({data.path.name}) is from "
        f"{data.date.isoformat()}, {age} days old: newer advisories and KEV entries are "
        "missing from the risk findings (update camscan)"
    )


def recognizer_for(fingerprints: str | None, firmware_age: str | None = None) -> Recognizer:
    """The fingerprints and advisory data; one warning line when the advisories are stale."""
    age = parse_firmware_age(firmware_age) if firmware_age is not None else None
    recognizer = Recognizer.load(Path(fingerprints) if fingerprints else None)
    data = recognizer.risk.data
    warning = stale_warning(data) if data is not None else None
    if warning:
        click.echo(warning, err=True)
    return recognizer if age is None else recognizer.with_firmware_age(age)


@contextlib.contextmanager
def open_input(source: str) -> Iterator[TextIO]:
    """The file to read, or standard input for '-'; an unreadable file is a usage error."""
    if source == "-":
        yield sys.stdin
        return
    try:
        handle = open(source, encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(
            f"camscan: cannot read '{source}': {exc.strerror} "
            "(give a readable file, or - for stdin)"
        ) from None
    with handle:
        yield handle


@contextlib.contextmanager
def open_output(path: str | None) -> Iterator[TextIO]:
    """The -o file (created or replaced), or standard output; an unwritable path is a usage
    error."""
    if path is None:
        yield sys.stdout
        return
    try:
        handle = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(
            f"camscan: cannot write '{path}': {exc.strerror or exc} (choose another -o path)"
        ) from None
    with handle:
        yield handle


def format_name(fmt: str | None, output: str | None) -> str:
    """-f if given, else from -o's extension, else table on a terminal and json otherwise."""
    name = fmt or (EXTENSIONS.get(Path(output).suffix.lower(), "json") if output else None)
    name = name or ("table" if sys.stdout.isatty() else "json")
    if name not in FORMATS:
        raise UsageError(f"camscan: unknown format '{name}' (use one of: {', '.join(FORMATS)})")
    return name


@contextlib.contextmanager
def formatter_for(
    fmt: str | None, output: str | None, policies: tuple[str, ...] = (),
    fail_on: str | None = None,
) -> Iterator[PolicyWatch]:
    """The formatter of -f/-o, begun on its stream, watching --policy and --fail-on."""
    formatter = PolicyWatch(
        make_formatter(format_name(fmt, output)), frozenset(policies), fail_on=fail_on
    )
    with open_output(output) as stream:
        formatter.begin(stream)
        yield formatter
