"""The passive commands: ``camscan listen`` and the body of ``camscan identify --pcap``.

click only, over scanner.passive. ``listen`` is added to the main group by scanner.cli
(``cli.add_command(listen)``); ``identify --pcap FILE`` calls :func:`identify_pcap`. This
module imports scanner.cli only when a command runs (for its formatter and recognizer
helpers), so either module may be imported first. Errors a user can cause are one line on
stderr and exit status 2, as everywhere (scanner.errors.UsageError).
"""

from __future__ import annotations

import math
import sys

import click

from scanner.errors import UsageError
from scanner.output import FORMATS
from scanner.policy import POLICIES

DURATION_MAX = 86_400.0
"""Longest listening session (a day): devices re-announce every few minutes at most."""

pcap_option = click.option(
    "--pcap",
    "pcap",
    type=str,
    default=None,
    metavar="FILE",
    help="Read a packet capture (pcap or pcapng) instead of observations: every discovery "
    "answer, announcement, HTTP/RTSP answer and TLS certificate in it.",
)


def parse_duration(text: str) -> float:
    """Seconds to listen: a number above 0 and at most DURATION_MAX."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= DURATION_MAX:
        raise UsageError(
            f"camscan: bad --duration '{text[:40]}': give seconds between 0 and "
            f"{DURATION_MAX:g} (e.g. --duration 300)"
        )
    return value


@click.command("listen")
@click.option("-i", "--interface", type=str, default=None,
              help="Interface to listen on (default: the one holding the default route).")
@click.option("--duration", type=str, default="60", show_default=True, metavar="SECONDS",
              help="How long to listen; Ctrl-C stops early and keeps what was heard.")
@click.option("-f", "--format", "fmt", type=str, default=None, metavar="|".join(FORMATS),
              help="Output format. Default: table on a terminal, else json "
                   "(or from -o's extension).")
@click.option("-o", "--output", type=str, default=None, metavar="FILE",
              help="Write the result to FILE instead of standard output.")
@click.option("--policy", "policies", type=click.Choice(POLICIES), multiple=True,
              help="Exit with status 3 when a device is covered by this list "
                   "(repeatable; any = all).")
@click.option("--fingerprints", type=str, default=None, metavar="DIR",
              help="Use the fingerprint database in DIR instead of the one shipped.")
def listen(
    interface: str | None,
    duration: str,
    fmt: str | None,
    output: str | None,
    policies: tuple[str, ...],
    fingerprints: str | None,
) -> int:
    """Listen without sending anything, and identify the devices that announce themselves.

    Hears SSDP NOTIFY, WS-Discovery Hello, mDNS announcements and the vendor discovery
    answers (SADP, DHIP, Ubiquiti, Xiongmai, TP-Link) other hosts' searches bring out; as
    root also ARP and DHCP requests (host name, vendor class). camscan sends no packet: as
    root it captures; otherwise it joins the discovery groups, which the kernel reports by
    IGMP."""
    from scanner import cli as main
    from scanner import interfaces
    from scanner.passive.listen import ListenPlan
    from scanner.passive.session import run_listen

    seconds = parse_duration(duration)
    main._format_name(fmt, output)  # a bad -f fails before listening
    chosen = interfaces.resolve(interface)
    local_ip = str(chosen.addresses[0]) if chosen.addresses else None
    recognizer = main._recognizer(fingerprints)
    plan = ListenPlan(chosen.name, local_ip, seconds)
    if sys.stderr.isatty():
        click.echo(f"camscan: listening on {chosen.name} for {seconds:g} s, sending nothing "
                   "(Ctrl-C stops early)", err=True)
    with main._formatter(fmt, output, policies) as formatter:
        info = run_listen(plan, recognizer, formatter.device)
        formatter.end(info)
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
    from scanner import cli as main
    from scanner.passive.pcap import check_capture
    from scanner.passive.session import run_capture

    main._format_name(fmt, output)
    check_capture(path)  # a bad file fails before -o is created
    recognizer = main._recognizer(fingerprints, firmware_age)
    with main._formatter(fmt, output, policies, fail_on) as formatter:
        info = run_capture(path, recognizer, formatter.device, lambda m: click.echo(m, err=True))
        formatter.end(info)
    return formatter.exit_code()
