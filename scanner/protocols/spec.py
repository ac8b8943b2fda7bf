"""What a wire protocol declares about itself: the one interface the registry reads.

Every protocol module of this package defines ``PROTOCOL``, a :class:`ProtocolSpec`: what the
protocol is (its name, whether it is asked of the LAN or of one host, its ports and groups,
the fields it emits, whether it needs a raw socket) and the hooks it offers the rooms above
(ask the LAN, probe an open port, read a datagram, a captured stream or a frame heard
passively, a document it serves over HTTP, a step after a login). scanner.protocols.registry
holds one line per protocol and derives every table from these declarations; no other room
names a protocol to find its code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from scanner.protocols.field import FieldSpec
from scanner.protocols.frame import FrameReading
from scanner.protocols.host import ServiceProbe
from scanner.protocols.lan import DiscoveryProbe
from scanner.protocols.listening import Listening
from scanner.protocols.login import Step
from scanner.protocols.stream import Document, StreamReading

Kind = Literal["lan", "host", "heard"]
"""``lan``: asked of the whole LAN or each target by datagram (discovery); ``host``: asked of
one host over TCP (a service probe on an open port, a follow-up, a step after a login);
``heard``: never asked, only heard on the wire (DHCP) or read from a file (SNMP)."""


@dataclass(frozen=True, eq=False)
class ProtocolSpec:
    """One wire protocol (see the module docstring). Only ``name`` and ``kind`` are required:
    a protocol offers the hooks it has. Compared and hashed as itself (one per protocol)."""

    name: str
    kind: Kind
    fields: tuple[FieldSpec, ...] = ()
    """The observation fields it emits (scanner.protocols.field)."""
    needs_root: bool = False
    """Its packets are sent or heard only through a raw socket (root or CAP_NET_RAW)."""
    discovery: DiscoveryProbe | None = None
    """Asks the LAN (multicast, broadcast) and/or each target directly."""
    probes: tuple[ServiceProbe, ...] = ()
    """Service probes run on an open TCP port."""
    ports: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    """probe name -> the TCP ports of the default sweep it runs on when open."""
    listening: Listening | None = None
    """Reads one of its datagrams heard passively (its UDP port and groups)."""
    streams: tuple[StreamReading, ...] = ()
    """Reads a server stream of a capture."""
    frame: FrameReading | None = None
    """Reads a frame below the discovery ports (ARP, DHCP)."""
    document: Document | None = None
    """A document it serves over HTTP, recognised in a captured page."""
    credentialed: Step | None = None
    """What it asks once a login is configured (scanner.engine.credentialed)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "ports", MappingProxyType(dict(self.ports)))  # read-only

    @property
    def udp_port(self) -> int | None:
        return self.listening.port if self.listening is not None else None

    @property
    def groups(self) -> tuple[str, ...]:
        return self.listening.groups if self.listening is not None else ()

    @property
    def tcp_ports(self) -> tuple[int, ...]:
        return tuple(sorted({port for ports in self.ports.values() for port in ports}))
