"""``camscan listen``: identify the devices that announce themselves, sending nothing.

click only, over scanner.passive. Errors a user can cause are one line on stderr and exit
status 2, as everywhere (scanner.errors.UsageError).
"""

from __future__ import annotations

import sys

import click

from scanner.cli.common import format_name, formatter_for, recognizer_for
from scanner.cli.options import format_option, output_option, parse_duration, policy_option


@click.command("listen")
@click.option("-i", "--interface", type=str, default=None,
              help="Interface to listen on (default: the one holding the default route).")
@click.option("--duration", type=str, default="60", show_default=True, metavar="SECONDS",
              help="How long to listen; Ctrl-C stops early and keeps what was heard.")
@format_option
@output_option
@policy_option
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
    from scanner import interfaces
    from scanner.passive.listen import ListenPlan
    from scanner.passive.session import run_listen

    seconds = parse_duration(duration)
    format_name(fmt, output)  # a bad -f fails before listening
    chosen = interfaces.resolve(interface)
    local_ip = str(chosen.addresses[0]) if chosen.addresses else None
    recognizer = recognizer_for(fingerprints)
    plan = ListenPlan(chosen.name, local_ip, seconds)
    if sys.stderr.isatty():
        click.echo(f"camscan: listening on {chosen.name} for {seconds:g} s, sending nothing "
                   "(Ctrl-C stops early)", err=True)
    with formatter_for(fmt, output, policies) as formatter:
        info = run_listen(plan, recognizer, formatter.device)
        formatter.end(info)
    return formatter.exit_code()
