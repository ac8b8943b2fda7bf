"""The simulated camera LAN: every persona served on its own 127.77.0.N, loopback only.

    async with Lab() as lab:
        ...  # scan lab.addresses on the ports in lab.services

Real ports (80, 443, 554, 21, 23, 8000, 37777, ...) are used when this process may bind
ports below 1024; otherwise each is served at port + PORT_OFFSET, and `port_map` /
`services` say so, so a scan can be pointed at the served ports with the right probes.
Nothing binds outside 127.77.0.0/24 (checked when the personas load), so nothing the lab
serves is reachable from, or sends to, any real interface.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
from collections.abc import Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from types import TracebackType
from typing import Final

from scanner.limits import HTTP_HEAD_MAX, TLS_HANDSHAKE_DEADLINE
from scanner.sim.personas import LAB_NETWORK, Persona, load_personas
from scanner.sim.servers import Connections, handler_for

__all__ = ["PORT_OFFSET", "Lab", "Persona", "can_bind_low_ports", "cert_path", "load_personas"]

PORT_OFFSET: Final = 10_000
"""Added to every port when ports below 1024 cannot be bound (8000 -> 18000)."""
_PROBE_ADDRESS: Final = str(LAB_NETWORK.network_address + 254)
"""An address of the lab block that no persona uses, for the low-port check."""


def can_bind_low_ports() -> bool:
    """True if this process may bind ports below 1024 on loopback.

    Root, CAP_NET_BIND_SERVICE and net.ipv4.ip_unprivileged_port_start <= 21 all allow it;
    trying a bind answers for all three at once.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((_PROBE_ADDRESS, 21))
        except PermissionError:
            return False
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE  # the port is taken, not forbidden
    return True


def cert_path(persona: Persona) -> Traversable:
    """Where tools/make_sim_certs.py wrote the persona's key and certificate chain (PEM)."""
    return resources.files("scanner.sim").joinpath(f"data/certs/{persona.name}.pem")


def _tls_context(persona: Persona) -> ssl.SSLContext:
    ref = cert_path(persona)
    if not ref.is_file():
        raise FileNotFoundError(f"no certificate for persona {persona.name!r} at {ref}; "
                                "run tools/make_sim_certs.py")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with resources.as_file(ref) as path:
        context.load_cert_chain(path)
    return context


class Lab:
    """The personas' servers, started on enter and all stopped (sockets closed) on exit."""

    def __init__(self, personas: Sequence[Persona] | None = None, *,
                 low_ports: bool | None = None) -> None:
        """`low_ports`: None = use real ports if allowed; False forces port + PORT_OFFSET."""
        self.personas: tuple[Persona, ...] = (
            tuple(personas) if personas is not None else load_personas())
        self.low_ports: bool = can_bind_low_ports() if low_ports is None else low_ports
        offset = 0 if self.low_ports else PORT_OFFSET
        kinds: dict[int, set[str]] = {}
        for persona in self.personas:
            for port, kind in persona.services().items():
                kinds.setdefault(port, set()).add(kind)
        if max(kinds, default=0) + offset > 65535:
            raise ValueError(f"a persona port + {offset} is above 65535")
        self.addresses: tuple[str, ...] = tuple(p.address for p in self.personas)
        self.port_map: dict[int, int] = {port: port + offset for port in sorted(kinds)}
        """Real port -> the port it is served on."""
        self.services: dict[int, list[str]] = {
            self.port_map[port]: sorted(names - {"tcp"} or names)
            for port, names in sorted(kinds.items())
        }
        """Served port -> probe names to run on it. A port that some persona serves and
        another only holds open is listed under the serving protocol alone."""
        self._servers: list[asyncio.Server] = []
        self._connections = Connections()

    def persona(self, name: str) -> Persona:
        """The persona called `name` (KeyError if the lab has none)."""
        for persona in self.personas:
            if persona.name == name:
                return persona
        raise KeyError(name)

    async def __aenter__(self) -> Lab:
        if self._servers:
            raise RuntimeError("this Lab is already running")
        try:
            for persona in self.personas:
                for port, kind in sorted(persona.services().items()):
                    await self._start(persona, port, kind)
        except BaseException:
            await self._stop()
            raise
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self._stop()

    async def _start(self, persona: Persona, port: int, kind: str) -> None:
        context = _tls_context(persona) if kind == "https" else None
        try:
            server = await asyncio.start_server(
                self._connections.wrap(handler_for(persona, kind)),
                host=persona.address,
                port=self.port_map[port],
                ssl=context,
                ssl_handshake_timeout=TLS_HANDSHAKE_DEADLINE if context else None,
                limit=HTTP_HEAD_MAX,
                reuse_address=True,
            )
        except OSError as exc:
            raise OSError(exc.errno, f"lab: cannot serve {persona.name} {kind} on "
                          f"{persona.address}:{self.port_map[port]}: {exc.strerror}") from exc
        self._servers.append(server)

    async def _stop(self) -> None:
        servers, self._servers = self._servers, []
        for server in servers:
            server.close()
        await self._connections.close_all()
        for server in servers:
            await server.wait_closed()
