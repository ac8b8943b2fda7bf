"""Decide how a scan asks the LAN: which interface, multicast or not, directed to whom.

- Multicast and broadcast (and the ARP sweep) go only out of the interface that holds the
  targets' subnet (or the one named by -i). Targets on no attached subnet get no multicast at
  all: a group message could not reach them, and camscan never guesses an interface.
- An interface without an IPv4 address (named by -i) gets no multicast: nothing could pin
  it there, and the kernel would send it by its routes; `note` says so.
- Directed ("unicast") discovery sends every discovery probe to each target address, so
  cameras behind a router or in another VLAN answer. It is on for every target with
  --unicast-discovery, and on by itself for targets outside the attached subnets. The
  network and broadcast addresses of attached subnets are never directed targets: a datagram
  to one is a link broadcast (issue 12).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from scanner.engine.discovery import make_context
from scanner.interfaces import Interface, interfaces
from scanner.protocols.lan import DiscoveryContext
from scanner.scope import Scope

DIRECTED_MAX = 65_536
"""Most addresses directed discovery is sent to (the scope limit without --force)."""


@dataclass(frozen=True)
class DiscoveryPlan:
    context: DiscoveryContext
    interface: str | None
    directed: int
    """How many addresses get directed probes."""
    note: str = ""
    """Why multicast is off although it was asked for ('' when it is not)."""

    def describe(self) -> dict[str, object]:
        """For the scan document's options: what was asked, how."""
        return {
            "interface": self.interface,
            "multicast": self.context.multicast,
            "directed_targets": self.directed,
            "answer_window": self.context.timeout,
            **({"multicast_off": self.note} if self.note else {}),
        }


def _holder(scope: Scope, known: dict[str, Interface]) -> str | None:
    """The interface one of whose subnets holds the first in-scope address."""
    first = next(scope.addresses(), None)
    if first is None:
        return None
    address = ipaddress.IPv4Address(first)
    for name, interface in sorted(known.items()):
        if any(address in network for network in interface.networks):
            return name
    return None


def plan(
    scope: Scope,
    interface: str | None,
    *,
    multicast: bool,
    unicast_all: bool,
    timeout: float,
) -> DiscoveryPlan:
    """The discovery context for a scan of `scope` (see the module docstring)."""
    known = interfaces()
    chosen = interface or _holder(scope, known)
    networks = [n for i in known.values() for n in i.networks]
    not_hosts = {
        str(address)
        for n in networks if n.prefixlen < 31
        for address in (n.network_address, n.broadcast_address)
    }
    directed: list[str] = []
    for text in scope.addresses():
        if len(directed) >= DIRECTED_MAX:
            break
        if text in not_hosts:
            continue
        if unicast_all or not any(ipaddress.IPv4Address(text) in n for n in networks):
            directed.append(text)
    context = make_context(
        scope,
        chosen,
        timeout=timeout,
        multicast=multicast and chosen is not None,
        unicast_targets=tuple(directed),
    )
    note = ""
    if multicast and chosen is not None and not context.multicast:
        note = f"interface '{chosen}' has no IPv4 address, so no multicast or broadcast"
    return DiscoveryPlan(context, chosen, len(directed), note)
