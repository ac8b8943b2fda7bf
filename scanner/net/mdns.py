"""The mDNS socket set: python-zeroconf, pinned to the interface's address when there is one."""

from __future__ import annotations

from zeroconf import IPVersion
from zeroconf.asyncio import AsyncZeroconf


def zeroconf(local_ip: str | None, unicast: bool) -> AsyncZeroconf:
    """An IPv4-only zeroconf instance on `local_ip` (None: the kernel's default interface);
    ``unicast`` asks answers to come back directly (directed queries)."""
    if local_ip is None:
        return AsyncZeroconf(ip_version=IPVersion.V4Only, unicast=unicast)
    return AsyncZeroconf(interfaces=[local_ip], ip_version=IPVersion.V4Only, unicast=unicast)
