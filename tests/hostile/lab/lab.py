"""Serve the hostile personas and the outsider, on loopback or in a sandbox's namespaces.

    async with HostileLab(placements, outsider="127.77.1.250") as lab:
        ...  # scan; then lab.report() says what each persona saw and what reached the outsider

    python -m tests.hostile.lab.lab PLAN.json   # the sandbox's persona process

PLAN.json::

    {"personas": [{"name": "http-endless", "address": "198.18.0.151", "netns": "ch-1"}],
     "outsider": {"address": "198.18.0.250", "netns": "ch-out", "capture": "lan0"},
     "victim": {"address": "198.18.0.199", "netns": "ch-victim", "capture": "lan0"},
     "report": "/tmp/.../hostile-report.json"}

The victim (optional unless the pivot persona is placed) is an in-scope host whose ports
the pivot persona's LOCATION and XAddrs name; it must see nothing on them.

A placement with a ``netns`` has its sockets made inside that network namespace (setns on this
thread while they are made; a socket stays where it was made), so it can bind the wildcard
address and join multicast groups there. Only loopback (127.0.0.0/8) and the lab block
(198.18.0.0/15) are ever served: nothing here can listen on a real network.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import signal
import sys
from collections import Counter
from dataclasses import dataclass
from types import TracebackType

from scanner.sim.lab import PORT_OFFSET, can_bind_low_ports
from scanner.sim.servers import Connections
from tests.hostile.lab.personas import HostilePersona, HttpEnv, load_hostile_personas, tcp_services
from tests.hostile.lab.udp import PIVOT_PORTS, Outsider, serve_udp, udp_services
from tests.sandbox import in_netns as netns

ALLOWED = (ipaddress.IPv4Network("127.0.0.0/8"), ipaddress.IPv4Network("198.18.0.0/15"))
HTTP_PORT = 80


@dataclass(frozen=True)
class Placement:
    persona: HostilePersona
    address: str
    netns: str | None = None
    """Network namespace the persona lives in alone (None: this one, on its own address)."""


def checked(address: str) -> str:
    """`address` if it is loopback or in the lab block; ValueError otherwise."""
    if not any(ipaddress.IPv4Address(address) in network for network in ALLOWED):
        raise ValueError(f"hostile lab: refusing {address}: not loopback or 198.18.0.0/15")
    return address


class HostileLab:
    """Every placed persona's TCP and UDP services, plus the outsider; all closed on exit."""

    def __init__(
        self,
        placements: list[Placement],
        *,
        outsider: str,
        outsider_netns: str | None = None,
        capture: str | None = None,
        low_ports: bool | None = None,
        victim: str | None = None,
        victim_netns: str | None = None,
    ) -> None:
        self.placements = [
            Placement(p.persona, checked(p.address), p.netns) for p in placements
        ]
        self.outsider = Outsider(checked(outsider))
        self.outsider_netns, self.capture = outsider_netns, capture
        self.victim = (
            Outsider(checked(victim), PIVOT_PORTS, PIVOT_PORTS) if victim is not None else None
        )
        self.victim_netns = victim_netns
        low = can_bind_low_ports() if low_ports is None else low_ports
        self.http_port = HTTP_PORT if low else HTTP_PORT + PORT_OFFSET
        self.envs = {p.persona.name: HttpEnv(p.address, outsider) for p in self.placements}
        self.answers: Counter[str] = Counter()
        """Persona name -> datagrams sent."""
        self._stack = contextlib.AsyncExitStack()
        self._connections = Connections()

    def address(self, name: str) -> str:
        return next(p.address for p in self.placements if p.persona.name == name)

    async def __aenter__(self) -> HostileLab:
        await self._stack.__aenter__()
        try:
            for placement in self.placements:
                with netns(placement.netns):
                    await self._serve(placement)
            with netns(self.outsider_netns):
                await self.outsider.start(self.capture, self._stack)
            if self.victim is not None:
                with netns(self.victim_netns):
                    await self.victim.start(self.capture, self._stack)
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._connections.close_all()
        await self._stack.aclose()

    async def _serve(self, placement: Placement) -> None:
        persona, address = placement.persona, placement.address
        for port, handler in tcp_services(persona, self.envs[persona.name], self.http_port).items():
            server = await asyncio.start_server(
                self._connections.wrap(handler), address, port, reuse_address=True
            )
            self._stack.push_async_callback(_close, server)
        outsider = self.outsider.address
        victim = self.victim.address if self.victim is not None else None
        for service in udp_services(persona, address, outsider, victim):
            transport = await serve_udp(
                service, address, placement.netns is not None, self.answers, persona.name
            )
            self._stack.callback(transport.close)

    def report(self) -> dict[str, object]:
        """What reached the outsider (and the pivot's victim), the datagrams each persona
        sent, the paths asked."""
        return {
            "outsider": self.outsider.report(),
            "victim": self.victim.report() if self.victim is not None else None,
            "answers": dict(self.answers),
            "hits": {name: dict(env.hits) for name, env in self.envs.items() if env.hits},
        }


async def _close(server: asyncio.Server) -> None:
    server.close()
    await server.wait_closed()


async def main(path: str) -> None:
    """Serve PLAN.json until SIGTERM, then write the report where the plan says."""
    with open(path, encoding="utf-8") as handle:
        plan = json.load(handle)
    by_name = {p.name: p for p in load_hostile_personas()}
    placements = [
        Placement(by_name[entry["name"]], entry["address"], entry.get("netns"))
        for entry in plan["personas"]
    ]
    out = plan["outsider"]
    victim = plan.get("victim") or {}
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    lab = HostileLab(
        placements, outsider=out["address"], outsider_netns=out.get("netns"),
        capture=out.get("capture"), low_ports=True,
        victim=victim.get("address"), victim_netns=victim.get("netns"),
    )
    async with lab:
        print(f"ready {len(placements)}", flush=True)
        await stop.wait()
        report = lab.report()
    with open(plan["report"], "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=1)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    asyncio.run(main(sys.argv[1]))
