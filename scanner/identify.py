"""`camscan identify`: observations as JSON Lines in, the scan document out, no network.

One observation per line: {"host": "198.18.0.7", "field": "http.server", "value": "App-webs/"}
with an optional "port" (and "probe"). Unknown fields are skipped with a warning; a line that
is not such an object is a usage error naming the line.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from scanner.errors import UsageError
from scanner.limits import IDENTIFY_LINE_MAX, VALUE_MAX
from scanner.model import FIELDS, Observation

Warn = Callable[[str], None]


@dataclass(frozen=True)
class IdentifyInput:
    by_host: dict[str, list[Observation]]
    skipped: int


def read_observations(lines: Iterable[str], source: str, warn: Warn) -> IdentifyInput:
    """Group the observations in `lines` by host, in first-seen order."""
    by_host: dict[str, list[Observation]] = {}
    skipped = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        obs = _observation(line, f"{source}:{number}")
        if obs is None:
            continue
        if obs.field not in FIELDS:
            warn(
                f"camscan: warning: {source}:{number}: unknown field '{obs.field}' skipped "
                "(fields are listed in fingerprints/README.md)"
            )
            skipped += 1
            continue
        by_host.setdefault(obs.host, []).append(obs)
    return IdentifyInput(by_host, skipped)


def _observation(line: str, where: str) -> Observation | None:
    if len(line) > IDENTIFY_LINE_MAX:
        raise UsageError(f"camscan: {where}: line longer than {IDENTIFY_LINE_MAX} bytes (split it)")
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"camscan: {where}: not a JSON object ({exc.msg}); each line must be like "
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
        raise UsageError(f"camscan: {where}: host '{host[:64]}' is not an IP address") from None
    if port is not None and (
        not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536
    ):
        raise UsageError(f"camscan: {where}: port must be a number from 1 to 65535")
    probe = item.get("probe") if isinstance(item.get("probe"), str) else "identify"
    return Observation(host, port, str(probe), field, value[:VALUE_MAX])
