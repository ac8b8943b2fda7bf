"""The machine's network interfaces: which exist, which subnets they hold, which is default.

Used only to turn "no target" into "the subnet(s) of the chosen interface" and to check -i.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

import ifaddr

from scanner.errors import UsageError


@dataclass(frozen=True)
class Interface:
    name: str
    networks: tuple[ipaddress.IPv4Network, ...]
    addresses: tuple[ipaddress.IPv4Address, ...]


def interfaces() -> dict[str, Interface]:
    result: dict[str, Interface] = {}
    for adapter in ifaddr.get_adapters():
        nets, addrs = [], []
        for ip in adapter.ips:
            if isinstance(ip.ip, str):
                address = ipaddress.IPv4Address(ip.ip)
                addrs.append(address)
                nets.append(ipaddress.IPv4Network(f"{ip.ip}/{ip.network_prefix}", strict=False))
        result[adapter.nice_name] = Interface(adapter.nice_name, tuple(nets), tuple(addrs))
    return result


def default_interface() -> str | None:
    """The interface of the IPv4 default route (Linux /proc/net/route), if any."""
    try:
        lines = Path("/proc/net/route").read_text().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        if len(parts) > 2 and parts[1] == "00000000":
            return parts[0]
    return None


def resolve(name: str | None) -> Interface:
    """The interface named by -i, or the default one; a UsageError names what exists."""
    known = interfaces()
    chosen = name or default_interface()
    if chosen is None:
        raise UsageError(
            "camscan: no default route, so no subnet to scan (give a TARGET or -i INTERFACE)"
        )
    if chosen not in known:
        names = ", ".join(sorted(known)) or "none"
        raise UsageError(f"camscan: no interface '{chosen}' on this machine (available: {names})")
    return known[chosen]


def subnet_targets(interface: Interface) -> list[str]:
    """The IPv4 subnets of `interface` as target strings (loopback and /32s left out)."""
    nets = [n for n in interface.networks if not n.is_loopback and n.prefixlen < 32]
    if not nets:
        raise UsageError(
            f"camscan: interface '{interface.name}' holds no IPv4 subnet to scan "
            "(give a TARGET such as 192.168.1.0/24)"
        )
    return [str(n) for n in nets]
