"""Discovery: ask the whole LAN, or each target directly, by every discovery protocol.

One module per protocol in scanner.protocols, each a :class:`DiscoveryProbe`; the registry's
``DISCOVERY_PROBES`` lists them and :func:`discover_all` runs them concurrently and merges
what they found. The CLI builds the
:class:`DiscoveryContext` with :func:`make_context` (interface, its address and broadcast
address, the scope, and whether to ask by multicast, directly, or both).
"""

from __future__ import annotations

import asyncio
import ipaddress

from scanner.errors import bug_detail
from scanner.model import Outcome, ProbeStatus
from scanner.protocols.lan import (
    GLOBAL,
    DiscoveryContext,
    DiscoveryProbe,
    DiscoveryResult,
    merge,
)
from scanner.protocols.registry import DISCOVERY_PROBES
from scanner.scope import Scope

__all__ = [
    "DISCOVERY_PROBES",
    "GLOBAL",
    "DiscoveryContext",
    "DiscoveryProbe",
    "DiscoveryResult",
    "discover_all",
    "make_context",
]


async def discover_all(
    ctx: DiscoveryContext, probes: tuple[DiscoveryProbe, ...] = DISCOVERY_PROBES
) -> DiscoveryResult:
    """Run every probe at once; merged statuses are keyed ``"<probe>/<ip>"``.

    A probe that fails with an unexpected exception becomes an ``error`` status instead of
    taking the others down.
    """
    outcomes = await asyncio.gather(*(p.discover(ctx) for p in probes), return_exceptions=True)
    results: list[DiscoveryResult] = []
    for probe, outcome in zip(probes, outcomes, strict=True):
        if isinstance(outcome, DiscoveryResult):
            results.append(outcome)
        elif isinstance(outcome, Exception):
            status = ProbeStatus(probe.name, Outcome.ERROR, bug_detail(outcome))
            results.append(DiscoveryResult((), {GLOBAL: status}))
        else:
            raise outcome
    return merge(results)


def make_context(
    scope: Scope,
    interface: str | None = None,
    *,
    timeout: float = 2.0,
    multicast: bool = True,
    unicast_targets: tuple[str, ...] = (),
    multicast_ttl: int = 1,
) -> DiscoveryContext:
    """A context for `interface` (None: no interface, so no multicast or ARP may be sent).

    Looks up the interface's first IPv4 address (IP_MULTICAST_IF, mDNS) and that subnet's
    broadcast address; a loopback interface gets no broadcast and TTL 0. An interface with
    no IPv4 address gets no multicast either: nothing could pin it to that interface, and
    the kernel would send it wherever its routes say (issue 12).
    """
    from scanner.interfaces import interfaces

    name = interface  # never guessed here: the caller decides (see scanner.engine.plan)
    known = interfaces().get(name or "")
    local_ip = broadcast = None
    if known is not None and known.addresses:
        local_ip = str(known.addresses[0])
        network = known.networks[0]
        if not network.is_loopback and network.prefixlen < 31:
            broadcast = str(network.broadcast_address)
        if ipaddress.IPv4Address(local_ip).is_loopback:
            multicast_ttl = 0
    return DiscoveryContext(
        scope=scope,
        interface=name,
        local_ip=local_ip,
        timeout=timeout,
        multicast=multicast and local_ip is not None,
        unicast_targets=unicast_targets,
        multicast_ttl=multicast_ttl,
        broadcast=broadcast,
    )
