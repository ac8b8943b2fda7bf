"""``camscan demo``: start the simulated camera LAN on loopback, scan it, print the result.

The unicast personas (scanner/sim/data/personas.toml) serve HTTP, RTSP, TLS, FTP and telnet
on 127.77.0.11-102; the discovery personas (scanner/sim/data/discovery/) answer SADP, DHIP,
WS-Discovery, SSDP, Ubiquiti and Xiongmai discovery on 127.77.0.150 and up, or on the address
of the unicast persona that is the same device (`colocate`). On loopback there is no LAN to
multicast to, so the demo asks every address directly (directed discovery, as for cameras
behind a router). The scan is the real one (scanner.engine.scan.run_scan), so the demo shows what
`camscan scan` does. Nothing leaves lo.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

import click

from scanner.cli.common import formatter_for, recognizer_for
from scanner.cli.options import (
    fail_on_option,
    fingerprints_option,
    firmware_age_option,
    format_option,
    output_option,
    parse_timeout,
    policy_option,
    timeout_option,
)
from scanner.engine.discovery import make_context
from scanner.engine.scan import ScanRequest, run_scan
from scanner.engine.unicast import UnicastOptions
from scanner.output import Formatter
from scanner.progress import progress
from scanner.recognize import Recognizer
from scanner.scope import parse_targets
from scanner.sim.lab import Lab
from scanner.sim.responders import DiscoveryPersona, Responder, load_discovery_personas

DISCOVERY_BASE = 150
"""Discovery personas that are no unicast persona's twin get 127.77.0.150 and up."""


def place(lab: Lab, personas: tuple[DiscoveryPersona, ...]) -> list[tuple[DiscoveryPersona, str]]:
    """Each discovery persona's loopback address: its twin's, or the next free one."""
    placed = []
    free = DISCOVERY_BASE
    for persona in personas:
        twin = persona.colocate
        if twin:
            placed.append((persona, lab.persona(twin).address))
        else:
            placed.append((persona, f"127.77.0.{free}"))
            free += 1
    return placed


async def scan_demo(
    recognizer: Recognizer, formatter: Formatter, timeout: float, say: Callable[[str], None]
) -> None:
    async with Lab() as lab:
        if any(real != served for real, served in lab.port_map.items()):
            say(
                "camscan demo: cannot bind ports below 1024 here; the simulated devices "
                "serve on port+10000 instead"
            )
        placed = place(lab, load_discovery_personas())
        async with Responder(placed, wide=False):
            addresses = sorted({*lab.addresses, *(ip for _, ip in placed)})
            scope = parse_targets(["127.77.0.0/24"])
            unicast = UnicastOptions(
                ports=tuple(sorted(lab.services)), timeout=timeout, services=dict(lab.services)
            )
            discovery = make_context(
                scope, "lo", timeout=timeout, multicast=False, unicast_targets=tuple(addresses)
            )
            request = ScanRequest(
                scope, ("127.77.0.0/24",), unicast, {"demo": True}, discovery
            )
            with progress(sys.stderr, "demo") as on_progress:
                info = await run_scan(request, recognizer, formatter.device, on_progress)
    formatter.end(info)


def run_demo(
    recognizer: Recognizer, formatter: Formatter, timeout: float, say: Callable[[str], None]
) -> None:
    asyncio.run(scan_demo(recognizer, formatter, timeout, say))


@click.command()
@format_option
@output_option
@timeout_option
@policy_option
@fail_on_option
@firmware_age_option
@fingerprints_option
def demo(
    fmt: str | None,
    output: str | None,
    timeout: str,
    policies: tuple[str, ...],
    fail_on: str | None,
    firmware_age: str,
    fingerprints: str | None,
) -> int:
    """Start a simulated camera LAN on loopback (127.77.0.0/24), scan it, print the result.

    Nothing leaves this machine: every simulated device listens on a loopback address."""
    window = parse_timeout(timeout)
    recognizer = recognizer_for(fingerprints, firmware_age)
    with formatter_for(fmt, output, policies, fail_on) as formatter:
        run_demo(recognizer, formatter, window, lambda m: click.echo(m, err=True))
    return formatter.exit_code()
