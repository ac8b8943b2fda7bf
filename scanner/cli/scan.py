"""``camscan scan``: the options become one ScanRequest, run by scanner.engine.scan.run_scan."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

import click

from scanner import limits
from scanner.cli.common import formatter_for, recognizer_for
from scanner.cli.options import (
    fail_on_option,
    fingerprints_option,
    firmware_age_option,
    format_option,
    output_option,
    parse_ports,
    parse_timeout,
    per_host_rate_option,
    policy_option,
    rate_option,
    timeout_option,
)
from scanner.engine.scan import ScanRequest, run_scan
from scanner.progress import progress
from scanner.recognize.oui import read_in_background

if TYPE_CHECKING:
    from scanner.credentials import Credentials
    from scanner.protocols.lan import DiscoveryContext
    from scanner.scope import Scope


@click.command()
@click.argument("targets", nargs=-1, metavar="[TARGET]...")
@click.option(
    "-i",
    "--interface",
    type=str,
    default=None,
    help="Interface whose subnet(s) to scan when no TARGET is given.",
)
@format_option
@output_option
@timeout_option
@click.option(
    "--ports",
    type=str,
    default=None,
    metavar="LIST",
    help="TCP ports to probe, e.g. 80,443,554,8000-8100 (default: the camera set).",
)
@click.option("--allow-public", is_flag=True, help="Allow targets in public address space.")
@click.option("--force", is_flag=True, help="Allow more than 65,536 addresses.")
@click.option(
    "--max-hosts", type=click.IntRange(1, 4096), default=None,
    help=f"Hosts probed at once. [default: {limits.DEFAULT_MAX_HOSTS}]",
)
@rate_option
@per_host_rate_option
@click.option("--unicast-discovery", is_flag=True,
              help="Also send every discovery probe to each target address (finds cameras "
                   "behind routers; on by itself for targets outside the attached subnets).")
@click.option("--no-multicast", is_flag=True,
              help="Send no multicast or broadcast discovery.")
@click.option("--no-discovery", is_flag=True,
              help="Skip discovery protocols entirely: the port sweep and service probes only.")
@click.option("--credentials", "credentials_file", type=str, default=None, metavar="FILE",
              help="Log in with the credential sets in FILE (TOML, chmod 600) for deeper "
                   "identification (ISAPI, magicBox, ONVIF); CAMSCAN_USER/CAMSCAN_PASSWORD add "
                   "one set for every target. One attempt per host, Digest first, never guessed.")
@click.option("--allow-basic-auth", is_flag=True,
              help="Allow HTTP Basic (the password itself) when a device offers nothing "
                   "else, over HTTP or HTTPS; without it Basic is never sent.")
@policy_option
@fail_on_option
@firmware_age_option
@fingerprints_option
def scan(
    targets: tuple[str, ...],
    interface: str | None,
    fmt: str | None,
    output: str | None,
    timeout: str,
    ports: str | None,
    allow_public: bool,
    force: bool,
    max_hosts: int | None,
    rate: float | None,
    per_host_rate: float | None,
    unicast_discovery: bool,
    no_multicast: bool,
    no_discovery: bool,
    credentials_file: str | None,
    allow_basic_auth: bool,
    policies: tuple[str, ...],
    fail_on: str | None,
    firmware_age: str,
    fingerprints: str | None,
) -> int:
    """Scan TARGETs (IPv4 address, CIDR 192.168.1.0/24, or range 192.168.1.10-50).

    Only the targets given are contacted. With no TARGET, the subnet(s) of the chosen
    interface (-i, default: the one holding the default route) are scanned."""
    from scanner.engine.unicast import UnicastOptions
    from scanner.protocols.registry import DEFAULT_PORTS

    window = parse_timeout(timeout)
    port_list = parse_ports(ports) if ports is not None else tuple(DEFAULT_PORTS)
    texts, scope = _scope(targets, interface, allow_public, force)
    recognizer = recognizer_for(fingerprints, firmware_age)
    unicast = UnicastOptions(
        ports=port_list, timeout=window, rate=rate, per_host_rate=per_host_rate,
        max_hosts=max_hosts or limits.DEFAULT_MAX_HOSTS,
    )
    options: dict[str, object] = {"timeout": window, "rate": rate, "per_host_rate": per_host_rate}
    discovery = None
    if not no_discovery:
        discovery = _discovery(scope, interface, options, not no_multicast, unicast_discovery,
                               window)
    credentials = _credentials(credentials_file, allow_basic_auth, options)
    request = ScanRequest(
        scope, tuple(texts), unicast, options, discovery, credentials=credentials
    )
    database = recognizer.database
    with (
        formatter_for(fmt, output, policies, fail_on) as formatter,
        progress(sys.stderr) as on_progress,
        read_in_background(
            database.vocabulary, database.root, window / 2 if discovery else None
        ),
    ):
        info = asyncio.run(run_scan(request, recognizer, formatter.device, on_progress))
        formatter.end(info)
    return formatter.exit_code()


def _scope(
    targets: tuple[str, ...], interface: str | None, allow_public: bool, force: bool
) -> tuple[list[str], Scope]:
    """The target texts (the interface's subnets when none is given) and what may be contacted."""
    from scanner import interfaces
    from scanner.scope import parse_targets

    texts = list(targets)
    if not texts:
        texts = interfaces.subnet_targets(interfaces.resolve(interface))
    elif interface is not None:
        interfaces.resolve(interface)  # an unknown -i is an error even with targets
    return texts, parse_targets(texts, allow_public=allow_public, force=force)


def _discovery(
    scope: Scope, interface: str | None, options: dict[str, object], multicast: bool,
    unicast_all: bool, window: float,
) -> DiscoveryContext:
    """The discovery plan for the scope; noted in the options and, when narrowed, on stderr."""
    from scanner.engine.plan import plan

    chosen = plan(scope, interface, multicast=multicast, unicast_all=unicast_all, timeout=window)
    options["discovery_plan"] = chosen.describe()
    if chosen.note:
        click.echo(f"camscan: {chosen.note} discovery is sent", err=True)
    return chosen.context


def _credentials(
    path: str | None, allow_basic_auth: bool, options: dict[str, object]
) -> Credentials | None:
    """The credential sets to log in with (warnings on stderr); their count in the options."""
    from scanner.credentials import load_credentials

    credentials = load_credentials(path, allow_basic_auth=allow_basic_auth)
    for warning in credentials.warnings if credentials else ():
        click.echo(warning, err=True)
    if credentials is not None:
        options["credentials"] = len(credentials.entries)  # a count, never the values
    return credentials
