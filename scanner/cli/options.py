"""The options the commands share, and the parsing of values a user types (ports, timeouts,
durations, rates, ages): one-line errors on bad input (scanner.errors.UsageError)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import click

from scanner import limits
from scanner.errors import UsageError
from scanner.output import FORMATS
from scanner.policy import POLICIES
from scanner.risk import DEFAULT_FIRMWARE_AGE, FAIL_ON

MAX_TIMEOUT = 60.0
DURATION_MAX = 86_400.0
"""Longest listening session (a day): devices re-announce every few minutes at most."""
FIRMWARE_AGE_MAX = 100.0

format_option = click.option(
    "-f",
    "--format",
    "fmt",
    type=str,
    default=None,
    metavar="|".join(FORMATS),
    help="Output format. Default: table on a terminal, else json (or from -o's extension).",
)
output_option = click.option(
    "-o", "--output", type=str, default=None, metavar="FILE",
    help="Write the result to FILE instead of standard output.",
)
timeout_option = click.option(
    "--timeout",
    type=str,
    default="2",
    show_default=True,
    metavar="SECONDS",
    help="Answer window for each probe exchange.",
)
policy_option = click.option(
    "--policy",
    "policies",
    type=click.Choice(POLICIES),
    multiple=True,
    help="Exit with status 3 when a device is covered by this list (repeatable; any = all).",
)
fingerprints_option = click.option(
    "--fingerprints", type=str, default=None, metavar="DIR",
    help="Use the fingerprint database in DIR instead of the one shipped with camscan.",
)

pcap_option = click.option(
    "--pcap",
    "pcap",
    type=str,
    default=None,
    metavar="FILE",
    help="Read a packet capture (pcap or pcapng) instead of observations: every discovery "
    "answer, announcement, HTTP/RTSP answer and TLS certificate in it.",
)
fail_on_option = click.option(
    "--fail-on",
    "fail_on",
    type=click.Choice(FAIL_ON),
    default=None,
    help="Exit with status 4 when a device is affected by a finding: kev (a known-exploited "
    "vulnerability), high (high or critical severity) or any.",
)
firmware_age_option = click.option(
    "--firmware-age",
    "firmware_age",
    type=str,
    default=f"{DEFAULT_FIRMWARE_AGE:g}",
    show_default=True,
    metavar="YEARS",
    help="Report firmware built more than YEARS ago (old-firmware); 0 turns it off.",
)


if TYPE_CHECKING:
    _RateType = click.ParamType[float | None]
else:
    _RateType = click.ParamType  # generic only from click 8.2 on; pyproject allows 8.1


class Rate(_RateType):
    """Packets per second: a positive number up to 10,000,000, or 'unlimited' (None)."""

    name = "rate"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float | None:
        if value is None or isinstance(value, float):
            return value
        text = str(value).strip().lower()
        if text == "unlimited":
            return None
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not 0 < number <= 10_000_000:
            self.fail(f"'{str(value)[:40]}' is not a rate: give packets per second "
                      "(e.g. 1000) or 'unlimited'", param, ctx)
        return number


rate_option = click.option(
    "--rate", type=Rate(), default=str(int(limits.DEFAULT_RATE)), show_default=True,
    metavar="PPS",
    help="Packets per second over the whole scan: TCP connection attempts plus directed "
         "discovery datagrams ('unlimited' for none).",
)
per_host_rate_option = click.option(
    "--per-host-rate", type=Rate(), default=str(int(limits.DEFAULT_PER_HOST_RATE)),
    show_default=True, metavar="PPS",
    help="Packets per second to any one address, to spare fragile cameras ('unlimited' for "
         "none).",
)


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


def _number(text: str) -> float:
    """The number a user typed; NaN (outside every range) when it is none."""
    try:
        return float(text)
    except ValueError:
        return math.nan


def parse_timeout(text: str) -> float:
    """A positive number of seconds, at most MAX_TIMEOUT."""
    value = _number(text)
    if not (0 < value <= MAX_TIMEOUT):
        raise UsageError(
            f"camscan: bad --timeout '{text[:40]}': give seconds between 0 and {MAX_TIMEOUT:g} "
            "(e.g. --timeout 2)"
        )
    return value


def parse_duration(text: str) -> float:
    """Seconds to listen: a number above 0 and at most DURATION_MAX."""
    value = _number(text)
    if not 0 < value <= DURATION_MAX:
        raise UsageError(
            f"camscan: bad --duration '{text[:40]}': give seconds between 0 and "
            f"{DURATION_MAX:g} (e.g. --duration 300)"
        )
    return value


def parse_firmware_age(text: str) -> float:
    """YEARS for --firmware-age: a number from 0 to FIRMWARE_AGE_MAX."""
    value = _number(text)
    if not 0 <= value <= FIRMWARE_AGE_MAX:
        raise UsageError(
            f"camscan: bad --firmware-age '{text[:40]}': give years from 0 to "
            f"{FIRMWARE_AGE_MAX:g} (e.g. --firmware-age 5; 0 turns the finding off)"
        )
    return value
