"""DHCP requests, heard by ``camscan listen`` as root (scanner.passive.frames): camscan never
sends DHCP. A client's option 12 (host name) and 60 (vendor class) -> ``dhcp.*``, under the
address it asks for (option 50), holds (ciaddr) or is given (a server's yiaddr); the facts
wait in what was heard until that address is known (scanner.passive.heard).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scanner.parse.kv import normalize_mac
from scanner.parse.text import cap_text
from scanner.protocols.field import FieldSpec
from scanner.protocols.frame import FrameReading
from scanner.protocols.spec import ProtocolSpec

if TYPE_CHECKING:
    from scanner.passive.heard import Heard

PORTS = frozenset((67, 68))

#: The observation fields this protocol emits (gathered by scanner.protocols.registry).
FIELDS = (FieldSpec("dhcp.vendor_class"), FieldSpec("dhcp.hostname"))


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    return cap_text(" ".join(value.replace("\0", " ").split()), 255) or None


def hear_frame(heard: Heard, source: str, udp: Any) -> None:
    """One DHCP datagram from ``source``: a client's request, or a server's answer (which
    only says which address a MAC was given)."""
    tally = heard.tally("dhcp")
    bootp, dhcp = udp.getlayer("BOOTP"), udp.getlayer("DHCP")
    mac = normalize_mac(bytes(bootp.chaddr[:6]).hex()) if bootp is not None else None
    if bootp is None or dhcp is None or mac is None:
        tally.errors += 1
        return
    options = {o[0]: o[1] for o in dhcp.options if isinstance(o, tuple) and len(o) > 1}
    if int(bootp.op) == 2:  # a server's answer: it says which address the client has
        tally.ignored += 1
        if str(bootp.yiaddr) != "0.0.0.0":
            heard.map_mac(mac, str(bootp.yiaddr))
        return
    client = heard.dhcp_client(mac)
    if client is None:
        return
    tally.messages += 1
    client.hostname = _text(options.get("hostname")) or client.hostname
    client.vendor_class = _text(options.get("vendor_class_id")) or client.vendor_class
    relayed = str(bootp.giaddr) != "0.0.0.0"  # then `source` is the relay's address
    for address in (str(bootp.ciaddr), "0.0.0.0" if relayed else source):
        if address != "0.0.0.0":
            client.ip = address
            break
    requested = options.get("requested_addr")
    if isinstance(requested, str) and requested != "0.0.0.0":
        client.requested = requested


FRAME = FrameReading(
    "dhcp", hear_frame, dissector="scapy.layers.dhcp", udp_ports=PORTS, ignored="server answers"
)


PROTOCOL = ProtocolSpec("dhcp", "heard", FIELDS, needs_root=True, frame=FRAME)
