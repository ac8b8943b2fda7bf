"""`camscan identify`: observations as JSON Lines in, the scan document out, no network.

One observation per line: {"host": "198.18.0.7", "field": "http.server", "value": "App-webs/"}
with an optional "port" (and "probe"). Unknown fields are skipped with a warning; a line that
is not such an object is a usage error naming the line.

The input is read in bounds, whoever wrote it (issue 12, item 9): a line longer than
``IDENTIFY_LINE_MAX`` is skipped with a warning without being held whole, a host keeps at
most ``OBSERVATIONS_PER_HOST_MAX`` observations (the rest are counted), and more than
``IDENTIFY_HOSTS_MAX`` hosts or ``IDENTIFY_TEXT_MAX`` characters of values in all is a
usage error (the input is to be split). JSON nested too deep, or a number too long
for Python's int conversion, is a usage error like any other malformed line.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TextIO

from scanner import limits
from scanner.errors import UsageError
from scanner.model import Observation
from scanner.protocols.registry import FIELDS

Warn = Callable[[str], None]


@dataclass(frozen=True)
class IdentifyInput:
    by_host: dict[str, list[Observation]]
    skipped: int


def read_observations(stream: TextIO, source: str, warn: Warn) -> IdentifyInput:
    """Group the observations read from `stream` by host, in first-seen order."""
    by_host: dict[str, list[Observation]] = {}
    skipped = capped = text = 0
    for number, line in _lines(stream):
        where = f"{source}:{number}"
        if line is None:
            kib = limits.IDENTIFY_LINE_MAX // 1024
            warn(f"camscan: warning: {where}: line longer than {kib} KiB "
                 "skipped (one observation per line)")
            skipped += 1
            continue
        if not line.strip():
            continue
        obs = _observation(line, where)
        if obs.field not in FIELDS:
            warn(
                f"camscan: warning: {where}: unknown field '{shown(obs.field)}' skipped "
                "(fields are listed in fingerprints/README.md)"
            )
            skipped += 1
            continue
        kept = by_host.get(obs.host)
        if kept is None:
            if len(by_host) >= limits.IDENTIFY_HOSTS_MAX:
                raise UsageError(
                    f"camscan: {where}: more than {limits.IDENTIFY_HOSTS_MAX} hosts in {source} "
                    "(split the input into several files)"
                )
            kept = by_host[obs.host] = []
        if len(kept) >= limits.OBSERVATIONS_PER_HOST_MAX:
            capped += 1
            continue
        text += len(obs.value)
        if text > limits.IDENTIFY_TEXT_MAX:
            raise UsageError(
                f"camscan: {where}: more than {limits.IDENTIFY_TEXT_MAX // 1024 // 1024} MiB of "
                f"observation values in {source} (split the input into several files)"
            )
        kept.append(obs)
    if capped:
        warn(f"camscan: warning: {source}: {capped} observations past "
             f"{limits.OBSERVATIONS_PER_HOST_MAX} for one host skipped")
    return IdentifyInput(by_host, skipped + capped)


def _lines(stream: TextIO) -> Iterator[tuple[int, str | None]]:
    """(line number, line) pairs; None for a line longer than IDENTIFY_LINE_MAX, whose
    rest is read past in bounded pieces rather than held whole."""
    number = 0
    while True:
        line = stream.readline(limits.IDENTIFY_LINE_MAX + 1)
        if not line:
            return
        number += 1
        if len(line) <= limits.IDENTIFY_LINE_MAX:
            yield number, line
            continue
        while line and not line.endswith("\n"):
            line = stream.readline(limits.IDENTIFY_LINE_MAX)
        yield number, None


def shown(text: str, limit: int = 64) -> str:
    """`text` as a message may show it: control and other unprintable characters escaped
    (a field name from a file must not drive the terminal), at most `limit` characters."""
    cut = text[:limit]
    out = "".join(c if c.isprintable() and c != "\\" else c.encode("unicode_escape").decode()
                  for c in cut)
    return out + ("..." if len(text) > limit else "")


def _observation(line: str, where: str) -> Observation:
    try:
        item = json.loads(line)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, int digits, nesting
        why = exc.msg if isinstance(exc, json.JSONDecodeError) else _why(exc)
        raise UsageError(
            f"camscan: {where}: not a JSON object ({why}); each line must be like "
            '{"host": "198.18.0.7", "field": "http.server", "value": "App-webs/"}'
        ) from None
    if not isinstance(item, dict):
        raise UsageError(f"camscan: {where}: expected a JSON object with host, field and value")
    host, field, value, port = (
        item.get("host"),
        item.get("field"),
        item.get("value"),
        item.get("port"),
    )
    if not all(isinstance(x, str) for x in (host, field, value)):
        raise UsageError(f"camscan: {where}: host, field and value must all be strings")
    assert isinstance(host, str) and isinstance(field, str) and isinstance(value, str)
    try:
        host = str(ipaddress.ip_address(host.strip()))
    except ValueError:
        raise UsageError(f"camscan: {where}: host '{shown(host)}' is not an IP address") from None
    if port is not None and (
        not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536
    ):
        raise UsageError(f"camscan: {where}: port must be a number from 1 to 65535")
    probe = item.get("probe") if isinstance(item.get("probe"), str) else "identify"
    return Observation(host, port, str(probe), field, value[:limits.VALUE_MAX])


def _why(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deep"
    return "a number too long" if "digits" in str(exc) else str(exc)[:80]
