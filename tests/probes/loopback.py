"""Loopback servers for the probe tests: 127.77.x.y, ephemeral ports, nothing else."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from scanner.net.tcp import Net
from scanner.protocols.host import ProbeContext, ProbeResult, ServiceProbe
from scanner.scope import parse_targets

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Served:
    """A running test server and who connected to it."""

    server: asyncio.Server
    host: str
    port: int
    peers: list[str] = field(default_factory=list)

    def close(self) -> None:
        self.server.close()


async def serve(
    host: str, handler: Handler, port: int = 0, tls: ssl.SSLContext | None = None
) -> Served:
    """Start ``handler`` on host:port (0 = ephemeral); connection errors end it quietly."""
    peers: list[str] = []

    async def wrapped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peers.append(writer.get_extra_info("peername")[0])
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            await handler(reader, writer)
        writer.close()

    server = await asyncio.start_server(wrapped, host, port, ssl=tls)
    return Served(server, host, server.sockets[0].getsockname()[1], peers)


async def read_head(reader: asyncio.StreamReader) -> bytes:
    """The request line and headers a probe sent (up to the blank line)."""
    return await reader.readuntil(b"\r\n\r\n")


def context(*targets: str, timeout: float = 0.5, **kwargs: float) -> ProbeContext:
    """A probe context with short test timeouts over the given targets."""
    return ProbeContext(Net(parse_targets(list(targets))), timeout=timeout, **kwargs)


async def probe_once(
    probe: ServiceProbe, host: str, handler: Handler, timeout: float = 0.5
) -> ProbeResult:
    """Serve `handler` on host:ephemeral, run `probe` against it once, stop the server."""
    served = await serve(host, handler)
    try:
        return await probe.run(context(host, timeout=timeout), served.host, served.port)
    finally:
        served.close()
