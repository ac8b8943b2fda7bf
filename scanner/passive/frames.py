"""Link-layer frames (sniffed or from a capture) -> the datagram, DHCP, ARP and TCP readers.

scapy decodes the frame; camscan decodes nothing below the discovery payloads itself but
the fixed header fields a cheap pre-filter looks at (:func:`wanted`), so a busy link costs
scapy's time only for frames on the ports camscan understands. IPv4 fragments are put back
together (WS-Discovery answers are often larger than one Ethernet frame), within bounds.

- ARP (requests and replies): the sender's address and MAC -> ``mac``.
- DHCP (UDP 67/68): a client's option 12 (host name) and 60 (vendor class) -> ``dhcp.*``,
  under the address it asks for (option 50), holds (ciaddr) or is given (a server's yiaddr).
- UDP on a discovery port -> scanner.passive.datagrams.
- TCP on a camera port -> scanner.passive.streams (captures only).

IPv4 only: an IPv6 announcement (mDNS to ff02::fb, WS-Discovery to ff02::c) is not read,
since devices announce the same over IPv4 and a second address would split one device.
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from collections.abc import Set as AbstractSet
from typing import Any

from scapy.error import Scapy_Exception
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether

from scanner.parse.http import cap_text
from scanner.parse.kv import normalize_mac
from scanner.passive.datagrams import PORTS, DatagramReader, protocol_of
from scanner.passive.heard import Heard
from scanner.passive.streams import Streams

DHCP_PORTS = frozenset((67, 68))
UDP_PORTS = frozenset(PORTS) | DHCP_PORTS
FRAGMENTED_MAX = 64
"""Datagrams being put back together at once; the oldest is dropped beyond this."""
DATAGRAM_BYTES_MAX = 65_535


def wanted(frame: bytes, tcp_ports: AbstractSet[int] = frozenset()) -> bool:
    """Whether an Ethernet frame may matter: ARP, UDP on a discovery or DHCP port, a later
    IPv4 fragment, TCP on one of `tcp_ports`. Reads fixed header fields only."""
    offset = 12
    if frame[12:14] == b"\x81\x00":  # one 802.1Q tag
        offset = 16
    kind = frame[offset : offset + 2]
    if kind == b"\x08\x06":
        return True
    ip = offset + 2
    if kind != b"\x08\x00" or len(frame) < ip + 20:
        return False
    header = (frame[ip] & 0x0F) * 4
    protocol = frame[ip + 9]
    if int.from_bytes(frame[ip + 6 : ip + 8], "big") & 0x1FFF:
        return protocol == 17  # a later fragment: its ports are in the first one
    ports = frame[ip + header : ip + header + 4]
    if len(ports) < 4:
        return False
    source, destination = int.from_bytes(ports[:2], "big"), int.from_bytes(ports[2:], "big")
    if protocol == 17:
        return source in UDP_PORTS or destination in UDP_PORTS
    return protocol == 6 and (source in tcp_ports or destination in tcp_ports)


def _payload(layer: Any) -> bytes:
    """The bytes a layer carried, exactly as they came (never re-encoded by scapy)."""
    payload = layer.payload
    original = getattr(payload, "original", None)
    return bytes(original) if original else bytes(payload)  # a packet made, not dissected


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    return cap_text(" ".join(value.replace("\0", " ").split()), 255) or None


class _Defragmenter:
    """IPv4 fragments -> whole UDP datagrams (header included), bounded in count and size."""

    def __init__(self) -> None:
        self._pending: OrderedDict[tuple[str, str, int], dict[int, bytes]] = OrderedDict()
        self._totals: dict[tuple[str, str, int], int] = {}

    def add(self, ip: Any) -> bytes | None:
        key = (str(ip.src), str(ip.dst), int(ip.id))
        pieces = self._pending.setdefault(key, {})
        if len(self._pending) > FRAGMENTED_MAX:
            old, _ = self._pending.popitem(last=False)
            self._totals.pop(old, None)
        offset, data = int(ip.frag) * 8, _payload(ip)
        if offset + len(data) > DATAGRAM_BYTES_MAX:
            return None
        pieces.setdefault(offset, data)
        if not ip.flags.MF:
            self._totals[key] = offset + len(data)
        total = self._totals.get(key)
        if total is None:
            return None
        whole = bytearray()
        for start in sorted(pieces):
            if start != len(whole):
                return None
            whole += pieces[start]
        if len(whole) != total:
            return None
        del self._pending[key], self._totals[key]
        return bytes(whole)


class FrameReader:
    """Reads scapy packets into a :class:`Heard` (see the module docstring)."""

    def __init__(self, heard: Heard, streams: Streams | None = None) -> None:
        self.heard = heard
        self.streams = streams
        self.datagrams = DatagramReader(heard)
        self._fragments = _Defragmenter()

    def read_bytes(self, data: bytes, layer: Any = Ether) -> None:
        """One frame as it came off the wire or out of a file, decoded by scapy's `layer`."""
        try:
            packet = layer(data)
        except (struct.error, IndexError, ValueError, TypeError, Scapy_Exception):
            return  # scapy gave up on it (a frame shorter than its own header)
        self.read(packet)

    def read(self, packet: Any) -> None:
        if ARP in packet:
            self._arp(packet[ARP])
            return
        ip = packet.getlayer(IP)
        if ip is None:
            return
        if int(ip.frag) or ip.flags.MF:
            whole = self._fragments.add(ip) if int(ip.proto) == 17 else None
            if whole is not None and len(whole) >= 8:
                self._udp(str(ip.src), UDP(whole))
        elif UDP in ip:
            self._udp(str(ip.src), ip[UDP])
        elif TCP in ip and self.streams is not None:
            self._tcp(ip, ip[TCP], self.streams)

    def _tcp(self, ip: Any, tcp: Any, streams: Streams) -> None:
        key = (str(ip.src), int(tcp.sport), str(ip.dst), int(tcp.dport))
        flags = int(tcp.flags)
        if flags & 0x12 == 0x12 and key[1] in streams.ports:  # SYN-ACK: the port is open
            self.heard.open_port(key[0], key[1])
        streams.feed(key, int(tcp.seq), bool(flags & 0x02), _payload(tcp))

    def _arp(self, arp: Any) -> None:
        if int(arp.op) not in (1, 2):
            return
        ip, mac = str(arp.psrc), normalize_mac(str(arp.hwsrc))
        tally = self.heard.tally("arp")
        if ip == "0.0.0.0" or mac is None:
            tally.ignored += 1  # an ARP probe (RFC 5227): the address is not yet claimed
            return
        tally.messages += 1
        self.heard.pair("arp", ip, mac)
        self.heard.ok("arp", ip)

    def _udp(self, source: str, udp: Any) -> None:
        ports = (int(udp.sport), int(udp.dport))
        if ports[0] in DHCP_PORTS and ports[1] in DHCP_PORTS:
            self._dhcp(source, udp)
            return
        protocol = protocol_of(*ports)
        if protocol is None:
            return
        self.datagrams.read(protocol, source, ports[0], _payload(udp))
        if self.streams is not None and protocol in ("ssdp", "wsd"):
            for port in self.datagrams.announced_ports(source):
                self.streams.follow(port)

    def _dhcp(self, source: str, udp: Any) -> None:
        tally = self.heard.tally("dhcp")
        bootp, dhcp = udp.getlayer(BOOTP), udp.getlayer(DHCP)
        mac = normalize_mac(bytes(bootp.chaddr[:6]).hex()) if bootp is not None else None
        if bootp is None or dhcp is None or mac is None:
            tally.errors += 1
            return
        options = {o[0]: o[1] for o in dhcp.options if isinstance(o, tuple) and len(o) > 1}
        if int(bootp.op) == 2:  # a server's answer: it says which address the client has
            tally.ignored += 1
            if str(bootp.yiaddr) != "0.0.0.0":
                self.heard.map_mac(mac, str(bootp.yiaddr))
            return
        client = self.heard.dhcp_client(mac)
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
