"""Shared pieces of the discovery unit tests: loopback contexts and persona placement."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from scanner.protocols.lan import DiscoveryContext
from scanner.scope import parse_targets
from scanner.sim.responders import DiscoveryPersona, load_discovery_personas

T = TypeVar("T")
BY_NAME = {p.name: p for p in load_discovery_personas()}


def run(coroutine: Awaitable[T]) -> T:
    async def wrapper() -> T:
        return await coroutine

    return asyncio.run(wrapper())


def lo_context(
    scope: str = "127.0.1.0/24",
    *,
    multicast: bool = True,
    targets: tuple[str, ...] = (),
    timeout: float = 0.5,
) -> DiscoveryContext:
    """Multicast pinned to lo with TTL 0: nothing can leave this host."""
    return DiscoveryContext(
        scope=parse_targets([scope]),
        interface="lo",
        local_ip="127.0.0.1",
        timeout=timeout,
        multicast=multicast,
        unicast_targets=targets,
        multicast_ttl=0,
    )


def place(*names: str, start: int = 1) -> list[tuple[DiscoveryPersona, str]]:
    """Personas at 127.0.1.<start>, 127.0.1.<start+1>, ..."""
    return [(BY_NAME[name], f"127.0.1.{start + n}") for n, name in enumerate(names)]
