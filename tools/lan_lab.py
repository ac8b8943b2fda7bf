#!/usr/bin/env python3
"""The persona process of the namespace LAN (tests/lan): one process, many network stacks.

    python tools/lan_lab.py PLAN.json      # prints "ready" once everything listens

PLAN.json::

    {"ttl": 1,
     "multicast": [{"netns": "cl-m1", "persona": "hik-ds2cd2385g1", "address": "198.18.0.21"}],
     "unicast": {"netns": "cl-u", "personas": [["hikvision-ipc", "198.18.0.101"]]}}

Each multicast persona (scanner/sim/data/discovery) is served by a Responder whose sockets
are created inside the persona's own namespace (setns on this thread while they are made;
a socket stays in the namespace it was created in). The unicast personas
(scanner/sim/data/personas.toml) run under scanner.sim.lab.Lab in one namespace, each moved
from its 127.77.0.N to the address the plan gives. Only namespaces named in the plan are
entered, and an address outside 198.18.0.0/15 is refused: this process never serves on a
real interface. It runs until SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import dataclasses
import ipaddress
import json
import os
import signal
import sys
from collections.abc import Iterator
from typing import Any

from scanner.sim.lab import Lab
from scanner.sim.personas import load_personas
from scanner.sim.responders import Responder, load_discovery_personas

CLONE_NEWNET = 0x40000000
LAB_RANGE = ipaddress.IPv4Network("198.18.0.0/15")
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))


@contextlib.contextmanager
def netns(name: str) -> Iterator[None]:
    """Move this thread into /run/netns/NAME for the block, then back."""
    back = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    there = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        _setns(there)
        yield
    finally:
        _setns(back)
        os.close(back)
        os.close(there)


def _lab_address(address: str) -> str:
    if ipaddress.IPv4Address(address) not in LAB_RANGE:
        raise SystemExit(f"lan_lab: refusing {address}: not a lab address (198.18.0.0/15)")
    return address


async def start(plan: dict[str, Any], stack: contextlib.AsyncExitStack) -> int:
    """Start everything the plan names; returns how many personas are served."""
    by_name = {p.name: p for p in load_discovery_personas()}
    count = 0
    for entry in plan.get("multicast", []):
        address = _lab_address(entry["address"])
        with netns(entry["netns"]):
            responder = Responder(
                [(by_name[entry["persona"]], address)],
                interface_ip=address,
                multicast_ttl=int(plan.get("ttl", 1)),
            )
            await stack.enter_async_context(responder)
        count += 1
    unicast = plan.get("unicast")
    if unicast and unicast.get("personas"):
        known = {p.name: p for p in load_personas()}
        moved = [
            dataclasses.replace(known[name], address=_lab_address(address))
            for name, address in unicast["personas"]
        ]
        with netns(unicast["netns"]):
            await stack.enter_async_context(Lab(moved, low_ports=True))
        count += len(moved)
    return count


async def main(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        plan = json.load(handle)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        count = await start(plan, stack)
        print(f"ready {count}", flush=True)
        await stop.wait()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    asyncio.run(main(sys.argv[1]))
