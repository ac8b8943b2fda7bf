"""MAC addresses: an ARP sweep with scapy when allowed, else the kernel's neighbour table.

An ARP request is a broadcast on one link, so the sweep runs only on the interface given and
only for in-scope addresses of that interface's subnets. Raw sockets need root or
CAP_NET_RAW; without them the probe reports ``skipped: needs root`` and reads
``/proc/net/arp`` instead, which holds the MACs of hosts this machine has talked to (after the
unicast sweep and the discovery answers, that is most of the LAN). Heard passively
(``FRAME``), every ARP request and reply names its sender's address and MAC.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner.model import Observation, Outcome, ProbeStatus
from scanner.net.layer2 import arp_sweep
from scanner.parse.kv import normalize_mac
from scanner.protocols.field import FieldSpec
from scanner.protocols.frame import FrameReading
from scanner.protocols.lan import DiscoveryContext, DiscoveryResult, Findings
from scanner.protocols.spec import ProtocolSpec

if TYPE_CHECKING:
    from scanner.passive.heard import Heard

NEIGHBOUR_TABLE = Path("/proc/net/arp")
SWEEP_MAX = 4096
"""Most addresses swept at once (a /20); a bigger scope is swept only where it meets the link."""
_COMPLETE = 0x2
ARP_ETHERNET = (1, 6)
"""ARP hardware types with 6-byte MACs: Ethernet (1) and IEEE 802 (6), RFC 826/1042."""
_IPV4 = 0x0800
_CAP_NET_RAW = 13


def can_use_raw_sockets() -> bool:
    """True for root, or when CAP_NET_RAW is in the effective capability set."""
    if os.geteuid() == 0:
        return True
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> _CAP_NET_RAW & 1)
    except (OSError, ValueError):
        pass
    return False


def read_neighbour_table(
    ctx: DiscoveryContext, path: Path = NEIGHBOUR_TABLE
) -> tuple[Observation, ...]:
    """MACs of complete, in-scope entries of the kernel's table (on `ctx.interface` if set)."""
    try:
        lines = path.read_text(errors="replace").splitlines()[1:]
    except OSError:
        return ()
    findings = Findings("neighbour")
    for line in lines[:65536]:
        parts = line.split()
        if len(parts) < 6 or not ctx.scope.contains(parts[0]):
            continue
        try:
            complete = int(parts[2], 16) & _COMPLETE
        except ValueError:
            continue
        if complete and (ctx.interface is None or parts[5] == ctx.interface):
            mac = normalize_mac(parts[3])
            if mac and mac != "00:00:00:00:00:00":
                findings.add(parts[0], None, "mac", mac)
    return tuple(findings.observations)


def sweep_targets(ctx: DiscoveryContext, networks: list[ipaddress.IPv4Network]) -> list[str]:
    """In-scope addresses on the interface's own subnets, at most SWEEP_MAX."""
    found: list[str] = []
    for network in networks:
        for address in network.hosts():
            if ctx.scope.contains(str(address)) and str(address) != ctx.local_ip:
                found.append(str(address))
                if len(found) >= SWEEP_MAX:
                    return found
    return found


def _networks(ctx: DiscoveryContext) -> list[ipaddress.IPv4Network]:
    from scanner.interfaces import interfaces  # ifaddr; only when a sweep is possible

    known = interfaces().get(ctx.interface or "")
    return [n for n in known.networks if not n.is_loopback] if known else []


class ArpProbe:
    name = "arp"

    async def discover(self, ctx: DiscoveryContext) -> DiscoveryResult:
        if not ctx.multicast:  # an ARP sweep is a broadcast: --no-multicast forbids it
            return _neighbours(ctx, "no broadcast (--no-multicast)")
        if not can_use_raw_sockets():
            return _neighbours(ctx, "needs root")
        if not ctx.interface:
            return _neighbours(ctx, "no interface given")
        targets = sweep_targets(ctx, _networks(ctx))
        if not targets:
            return _neighbours(ctx, f"no in-scope address on {ctx.interface}")
        try:
            pairs = await asyncio.to_thread(arp_sweep, ctx.interface, targets, ctx.timeout)
        except (OSError, PermissionError, RuntimeError) as exc:
            return _neighbours(ctx, f"ARP sweep failed: {exc}")
        findings = Findings(self.name)
        for ip, mac in pairs:
            if ctx.scope.contains(ip):
                findings.add(ip, None, "mac", normalize_mac(mac))
                findings.status(ip, Outcome.OK)
        hosts = len(findings.statuses)
        return findings.result(
            Outcome.OK if hosts else Outcome.NO_ANSWER,
            f"{hosts} of {len(targets)} addresses answered ARP",
        )


def _neighbours(ctx: DiscoveryContext, why: str) -> DiscoveryResult:
    """The fallback: skipped ARP, plus whatever the neighbour table already knows."""
    observations = read_neighbour_table(ctx)
    return DiscoveryResult(observations, {"*": ProbeStatus("arp", Outcome.SKIPPED, why)})


#: The observation fields this protocol emits (gathered by scanner.protocols.registry).
FIELDS = (FieldSpec("mac"),)


def _sender(arp: Any) -> tuple[str, str | None] | None:
    """(address, MAC) of an ARP packet's sender, or None unless it is IPv4 over Ethernet
    with the lengths that go with it (RFC 826: hlen 6, plen 4). scapy reads the addresses
    by the lengths the frame claims, so another plen gave bytes where an address belongs
    (issue 12, item 2)."""
    if int(arp.hwtype) not in ARP_ETHERNET or int(arp.ptype) != _IPV4:
        return None
    if int(arp.hwlen) != 6 or int(arp.plen) != 4:
        return None
    if not isinstance(arp.psrc, str) or not isinstance(arp.hwsrc, str):
        return None
    try:
        ip = str(ipaddress.IPv4Address(arp.psrc))
    except ValueError:
        return None
    return ip, normalize_mac(arp.hwsrc)


def hear_frame(heard: Heard, _source: str, arp: Any) -> None:
    """One ARP request or reply heard: its sender's (address, MAC) pair."""
    tally = heard.tally("arp")
    sender = _sender(arp)
    if sender is None:
        tally.errors += 1  # not IPv4 over Ethernet, or lengths that lie: dropped, counted
        return
    if int(arp.op) not in (1, 2):
        return
    ip, mac = sender
    if ip == "0.0.0.0" or mac is None:
        tally.ignored += 1  # an ARP probe (RFC 5227): the address is not yet claimed
        return
    tally.messages += 1
    heard.pair("arp", ip, mac)
    heard.ok("arp", ip)


FRAME = FrameReading(
    "arp", hear_frame, layer="ARP", dissector="scapy.layers.l2", ethertype=b"\x08\x06",
    ignored="ARP probes",
)


PROTOCOL = ProtocolSpec(
    "arp", "lan", FIELDS, needs_root=True, discovery=ArpProbe(), frame=FRAME
)
