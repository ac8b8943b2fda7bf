"""TCP connect sweep of one host: which of the given ports accept a connection.

A full connect (like ``nmap -sT``), so it needs no privileges; a connected socket is closed
with a RST at once (see ``Net.port_states``). A host is first asked on two ports only (80
and 443 when they are swept, as nmap's unprivileged host discovery does): a host that
answers neither, not even with a RST, is taken as down and costs two connection slots for
one timeout instead of one per port. ``assume_up`` (nmap's ``-Pn``) sweeps every port anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scanner import limits
from scanner.model import Outcome, ProbeStatus
from scanner.net.tcp import Net
from scanner.protocols.host import seconds

NAME = "tcp"
LIVENESS_PORTS = (80, 443)
_ALIVE = (Outcome.OK, Outcome.REFUSED)  # a SYN-ACK or a RST: something is there


@dataclass(frozen=True, slots=True)
class PortSweep:
    """Open ports of one host, and the ``tcp`` status."""

    open_ports: tuple[int, ...]
    status: ProbeStatus


def liveness_ports(ports: Sequence[int]) -> tuple[int, ...]:
    """The ports asked first: 80 and 443 if swept, else the first two."""
    return tuple(p for p in LIVENESS_PORTS if p in ports) or tuple(ports[:2])


async def sweep(
    net: Net,
    host: str,
    ports: Sequence[int],
    timeout: float = limits.CONNECT_TIMEOUT,
    assume_up: bool = False,
) -> PortSweep:
    """Connect to the ports of ``host`` and classify the host from the answers."""
    first = () if assume_up else liveness_ports(ports)
    outcomes: dict[int, Outcome] = {}
    if first and len(first) < len(ports):
        outcomes.update(zip(first, await net.port_states(host, first, timeout), strict=True))
        if not any(o in _ALIVE for o in outcomes.values()):
            listed = ", ".join(str(p) for p in first)
            detail = f"no answer on {listed} within {seconds(timeout)} s: host down or filtered"
            return PortSweep((), ProbeStatus(NAME, Outcome.TIMEOUT, detail))
    rest = [p for p in ports if p not in outcomes]
    outcomes.update(zip(rest, await net.port_states(host, rest, timeout), strict=True))
    return PortSweep(
        tuple(sorted(p for p, o in outcomes.items() if o is Outcome.OK)),
        _status(list(outcomes.values()), timeout),
    )


def _status(outcomes: list[Outcome], timeout: float) -> ProbeStatus:
    total = len(outcomes)
    opened = outcomes.count(Outcome.OK)
    if opened:
        return ProbeStatus(NAME, Outcome.OK, f"{opened} of {total} ports open")
    if Outcome.REFUSED in outcomes:  # an RST proves a live host with nothing listening
        return ProbeStatus(NAME, Outcome.REFUSED, f"all {total} ports closed")
    if all(o is Outcome.TIMEOUT for o in outcomes):
        return ProbeStatus(
            NAME, Outcome.TIMEOUT, f"no answer on {total} ports within {seconds(timeout)} s"
        )
    return ProbeStatus(NAME, Outcome.ERROR, "connect failed")
