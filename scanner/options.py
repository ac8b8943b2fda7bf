"""Parsing of option values a user types (ports, timeouts): one-line errors on bad input."""

from __future__ import annotations

import math

from scanner.errors import UsageError

MAX_TIMEOUT = 60.0


def parse_ports(text: str) -> tuple[int, ...]:
    """'80,443,8000-8010' -> (80, 443, 8000, ..., 8010), sorted, without duplicates."""
    ports: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            raise _bad_ports(text, "an empty item")
        low, sep, high = part.partition("-")
        try:
            first = int(low)
            last = int(high) if sep else first
        except ValueError:
            raise _bad_ports(text, f"'{part}' is not a port number or range") from None
        if not (0 < first <= 65535 and 0 < last <= 65535):
            raise _bad_ports(text, f"'{part}' is outside 1-65535")
        if last < first:
            raise _bad_ports(text, f"range '{part}' runs backwards")
        ports.update(range(first, last + 1))
    return tuple(sorted(ports))


def _bad_ports(text: str, problem: str) -> UsageError:
    return UsageError(
        f"camscan: bad --ports '{text[:80]}': {problem} (use e.g. 80,443,554,8000-8100)"
    )


def parse_timeout(text: str) -> float:
    """A positive number of seconds, at most MAX_TIMEOUT."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (0 < value <= MAX_TIMEOUT):
        raise UsageError(
            f"camscan: bad --timeout '{text[:40]}': give seconds between 0 and {MAX_TIMEOUT:g} "
            "(e.g. --timeout 2)"
        )
    return value
