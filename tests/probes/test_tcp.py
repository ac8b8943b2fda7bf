"""The TCP port sweep: open/closed classification and the two-port liveness check."""

from __future__ import annotations

import asyncio
import contextlib
import socket

from scanner.engine.sweep import PortSweep, liveness_ports, sweep
from scanner.model import Outcome, ProbeStatus
from scanner.net.tcp import Net
from scanner.scope import parse_targets


def _dropping_port(host: str) -> tuple[socket.socket, socket.socket]:
    """A listener whose accept queue is full, so further SYNs are dropped (a filtered port)."""
    listener = socket.socket()
    listener.bind((host, 0))
    listener.listen(0)
    filler = socket.create_connection(listener.getsockname(), timeout=1)
    return listener, filler


def test_liveness_ports() -> None:
    """80 and 443 are asked first when swept (as nmap does), else the first two ports."""
    assert liveness_ports((21, 80, 443, 554)) == (80, 443)
    assert liveness_ports((554, 80)) == (80,)
    assert liveness_ports((10080, 10554, 18000)) == (10080, 10554)


def test_silent_host_skipped_unless_assume_up() -> None:
    """Silence on the first two ports ends the sweep; assume_up still finds the open third."""
    host = "127.77.7.1"
    dropped = [_dropping_port(host) for _ in range(2)]
    ports = [listener.getsockname()[1] for listener, _ in dropped]
    opened = socket.socket()
    opened.bind((host, 0))
    opened.listen(8)
    ports.append(opened.getsockname()[1])

    async def main() -> tuple[PortSweep, PortSweep]:
        net = Net(parse_targets([host]))
        quick = await sweep(net, host, ports, timeout=0.2)
        full = await sweep(net, host, ports, timeout=0.2, assume_up=True)
        return quick, full

    try:
        quick, full = asyncio.run(main())
        opened.setblocking(False)
        contacted = 0
        with contextlib.suppress(BlockingIOError):
            while True:
                opened.accept()[0].close()
                contacted += 1
    finally:
        for sock in (opened, *(s for pair in dropped for s in pair)):
            sock.close()
    assert quick.open_ports == () and quick.status.outcome is Outcome.TIMEOUT
    assert "host down or filtered" in quick.status.detail
    assert full.open_ports == (ports[2],)
    assert full.status == ProbeStatus("tcp", Outcome.OK, "1 of 3 ports open")
    assert contacted == 1  # only the assume_up sweep reached the open port


def test_closed_host_is_refused() -> None:
    """A live host with nothing listening is 'all ports closed' after the full sweep."""
    ports = [9, 19, 29, 39]

    async def main() -> PortSweep:
        return await sweep(Net(parse_targets(["127.77.7.2"])), "127.77.7.2", ports, timeout=0.5)

    result = asyncio.run(main())
    assert result.status == ProbeStatus("tcp", Outcome.REFUSED, "all 4 ports closed")
