"""``camscan identify``: devices from observations (JSON Lines) or a packet capture, offline."""

from __future__ import annotations

import click

from scanner.cli.common import format_name, formatter_for, open_input, recognizer_for
from scanner.cli.options import (
    fail_on_option,
    fingerprints_option,
    firmware_age_option,
    format_option,
    output_option,
    pcap_option,
    policy_option,
)
from scanner.engine.scan import identify_info
from scanner.identify import read_observations


@click.command()
@click.argument("source", required=False, default="-", metavar="[FILE|-]")
@pcap_option
@format_option
@output_option
@policy_option
@fail_on_option
@firmware_age_option
@fingerprints_option
def identify(
    source: str,
    pcap: str | None,
    fmt: str | None,
    output: str | None,
    policies: tuple[str, ...],
    fail_on: str | None,
    firmware_age: str,
    fingerprints: str | None,
) -> int:
    """Identify devices from observations (JSON Lines) or a packet capture, offline.

    Each line: {"host": "198.18.0.7", "field": "http.server", "value": "App-webs/"},
    optionally with "port". Fields are listed in fingerprints/README.md. With --pcap FILE,
    the observations come from a capture (pcap or pcapng) instead."""
    if pcap is not None:
        return identify_pcap(
            pcap, fmt, output, policies, fingerprints, fail_on=fail_on, firmware_age=firmware_age
        )
    format_name(fmt, output)  # a bad -f fails before any input is read
    recognizer = recognizer_for(fingerprints, firmware_age)
    with open_input(source) as stream:
        data = read_observations(stream, source, lambda m: click.echo(m, err=True))
    with formatter_for(fmt, output, policies, fail_on) as formatter:
        for host, observations in data.by_host.items():
            formatter.device(recognizer.device(host, observations, found_by=("identify",)))
        formatter.end(identify_info([source], len(recognizer.database)))
    return formatter.exit_code()


def identify_pcap(
    path: str,
    fmt: str | None,
    output: str | None,
    policies: tuple[str, ...] = (),
    fingerprints: str | None = None,
    *,
    fail_on: str | None = None,
    firmware_age: str | None = None,
) -> int:
    """``camscan identify --pcap FILE``: the scan document for what the capture holds.

    Returns the exit status (0, 3 when --policy finds a covered device, 4 when --fail-on
    finds an affected one); a missing or
    unreadable file, or one that is no capture, is a UsageError (status 2)."""
    from scanner.passive.pcap import check_capture
    from scanner.passive.session import run_capture

    format_name(fmt, output)
    check_capture(path)  # a bad file fails before -o is created
    recognizer = recognizer_for(fingerprints, firmware_age)
    with formatter_for(fmt, output, policies, fail_on) as formatter:
        info = run_capture(path, recognizer, formatter.device, lambda m: click.echo(m, err=True))
        formatter.end(info)
    return formatter.exit_code()
