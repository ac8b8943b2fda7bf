"""What a protocol below the discovery ports declares for passive listening: ARP and DHCP.

Each such module of this package defines ``FRAME``: which decoded frames are its own (a scapy
``layer``, by name, in the frame, or a UDP datagram between two of its ``udp_ports``), the
scapy module that decodes them, the EtherType the
frame pre-filter lets through for it, and ``hear``, the hook that reads one into what was
heard. scanner.protocols.registry gathers them; scanner.passive.frames iterates the registry
and names no protocol itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scanner.passive.heard import Heard

HearFrame = Callable[["Heard", str, Any], None]
"""Read one frame's layer (or UDP datagram, with its source address) into what was heard."""


@dataclass(frozen=True)
class FrameReading:
    """One protocol as the frame reader sees it (see the module docstring)."""

    name: str
    hear: HearFrame
    layer: str = ""
    """The name of the scapy layer whose frames are this protocol's ("ARP"), or ""."""
    dissector: str = ""
    """The scapy module that decodes its frames, loaded by the frame reader (scapy is slow to
    load, so a protocol module never imports it: every command would pay for it)."""
    ethertype: bytes = b""
    """Its EtherType as on the wire (b"\\x08\\x06"), for the pre-filter; b"" for none."""
    udp_ports: frozenset[int] = frozenset()
    """UDP datagrams between two of these ports are this protocol's (DHCP: 67, 68)."""
    ignored: str = "queries"
    """What its ignored messages were (none of them is a device speaking of itself)."""
