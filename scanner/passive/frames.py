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

import bisect
import ipaddress
import struct
from collections import OrderedDict
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from scapy.error import Scapy_Exception
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether

from scanner.parse.kv import normalize_mac
from scanner.parse.text import cap_text
from scanner.passive.datagrams import ANNOUNCING, PORTS, DatagramReader, protocol_of
from scanner.passive.heard import Heard
from scanner.passive.streams import Streams

DHCP_PORTS = frozenset((67, 68))
UDP_PORTS = frozenset(PORTS) | DHCP_PORTS
FRAGMENTED_MAX = 64
"""Datagrams being put back together at once; the oldest is dropped beyond this."""
DATAGRAM_BYTES_MAX = 65_535
FRAGMENTS_PER_DATAGRAM_MAX = 128
"""Fragments one datagram may come in (64 KiB in 576-byte frames is 120); more, and the
datagram is given up."""
FRAGMENT_BYTES_MAX = 2 * 1024 * 1024
"""Fragment payload bytes held at once over all datagrams: the oldest datagrams are given up
to make room (issue 12: overlapping fragments once grew one capture to 1.1 GB)."""
ARP_ETHERNET = (1, 6)
"""ARP hardware types with 6-byte MACs: Ethernet (1) and IEEE 802 (6), RFC 826/1042."""
_IPV4 = 0x0800
REFUSED = "IPv4 fragments refused (overlapping, repeated offset, too many or too long)"


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


@dataclass
class _Datagram:
    """The fragments of one IPv4 datagram so far: never overlapping, bounded in number."""

    pieces: dict[int, bytes] = field(default_factory=dict)
    starts: list[int] = field(default_factory=list)
    """Offsets of `pieces`, sorted (bisect finds a new fragment's neighbours)."""
    held: int = 0
    total: int | None = None
    """The datagram's length, once its last fragment (MF clear) came."""

    def fits(self, offset: int, data: bytes, last: bool) -> bool:
        """Whether the fragment may join: no overlap with a piece kept, inside the length,
        and only one last fragment (RFC 791; overlaps are refused as RFC 5722 does)."""
        end = offset + len(data)
        if not data or len(self.pieces) >= FRAGMENTS_PER_DATAGRAM_MAX:
            return False
        if (last and self.total is not None) or (self.total is not None and end > self.total):
            return False
        if last and self.starts and self.starts[-1] + len(self.pieces[self.starts[-1]]) > end:
            return False  # a piece already lies beyond this "last" fragment's end
        at = bisect.bisect_left(self.starts, offset)
        if at < len(self.starts) and self.starts[at] < end:
            return False  # overlaps the next piece (or repeats this offset)
        if at > 0:
            before = self.starts[at - 1]
            if before + len(self.pieces[before]) > offset:
                return False  # overlaps the previous piece
        return True

    def add(self, offset: int, data: bytes, last: bool) -> None:
        bisect.insort(self.starts, offset)
        self.pieces[offset] = data
        self.held += len(data)
        if last:
            self.total = offset + len(data)

    def whole(self) -> bytes | None:
        """The datagram, when the pieces cover it from 0 to its length; None until then."""
        if self.total is None or self.held != self.total:
            return None  # pieces never overlap, so equal sizes mean every byte is there
        return b"".join(self.pieces[start] for start in self.starts)


class _Defragmenter:
    """IPv4 fragments -> whole UDP datagrams (header included), bounded in count and bytes.

    Each fragment costs a bisect and one insertion among at most FRAGMENTS_PER_DATAGRAM_MAX
    offsets, and a datagram is joined once, when complete: linear work over a capture, where
    sorting and joining every pending datagram at each fragment was quadratic (issue 12).
    """

    def __init__(self, heard: Heard) -> None:
        self._pending: OrderedDict[tuple[str, str, int], _Datagram] = OrderedDict()
        self.held = 0
        self._heard = heard

    def add(self, key: tuple[str, str, int], offset: int, data: bytes, last: bool
            ) -> bytes | None:
        """One fragment of datagram `key` (source, destination, IP id); the whole datagram
        when this fragment completes it, else None."""
        if offset + len(data) > DATAGRAM_BYTES_MAX or (not last and len(data) % 8):
            self._heard.frame_note(REFUSED)
            return None
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = _Datagram()
        elif pending.pieces.get(offset) == data:
            return None  # the same fragment twice (a capture on both sides of a bridge)
        if not pending.fits(offset, data, last):
            self._heard.frame_note(REFUSED)
            self._drop(key)  # a datagram sent with overlapping pieces is not put together
            return None
        self._make_room(len(data), key)
        pending.add(offset, data, last)
        self.held += len(data)
        whole = pending.whole()
        if whole is not None:
            self._drop(key)
        return whole

    def _make_room(self, size: int, keep: tuple[str, str, int]) -> None:
        """Give up the oldest other datagrams until one more fits both bounds."""
        while self._pending and (
            self.held + size > FRAGMENT_BYTES_MAX or len(self._pending) > FRAGMENTED_MAX
        ):
            oldest = next(iter(self._pending))
            if oldest == keep:
                if len(self._pending) == 1:
                    return  # alone, and at most 64 KiB: it fits the budget by itself
                self._pending.move_to_end(oldest)
                continue
            self._drop(oldest)
            self._heard.frame_note("fragmented datagrams given up (too many at once)")

    def _drop(self, key: tuple[str, str, int]) -> None:
        gone = self._pending.pop(key, None)
        if gone is not None:
            self.held -= gone.held


def _arp_sender(arp: Any) -> tuple[str, str | None] | None:
    """(address, MAC) of an ARP packet's sender, or None unless it is IPv4 over Ethernet
    with the lengths that go with it (RFC 826: hlen 6, plen 4). scapy reads the addresses
    by the lengths the frame claims, so another plen gave bytes where an address belongs
    (issue 12, item 2)."""
    if int(arp.hwtype) not in ARP_ETHERNET or int(arp.ptype) != _IPV4:
        return None
    if int(arp.hwlen) != 6 or int(arp.plen) != 4:
        return None
    if not isinstance(arp.psrc, str) or not isinstance(arp.hwsrc, str):
        return None
    try:
        ip = str(ipaddress.IPv4Address(arp.psrc))
    except ValueError:
        return None
    return ip, normalize_mac(arp.hwsrc)


class FrameReader:
    """Reads scapy packets into a :class:`Heard` (see the module docstring)."""

    def __init__(self, heard: Heard, streams: Streams | None = None) -> None:
        self.heard = heard
        self.streams = streams
        self.datagrams = DatagramReader(heard)
        self._fragments = _Defragmenter(heard)

    def read_bytes(self, data: bytes, layer: Any = Ether) -> None:
        """One frame as it came off the wire or out of a file, decoded by scapy's `layer`.

        An Ethernet frame holding an IPv4 fragment of a UDP datagram skips scapy: its
        fixed header is all reassembly needs, and scapy's dissection was most of the time
        a fragment flood cost."""
        try:
            if layer is Ether and self._fragment(data):
                return
            packet = layer(data)
        except (struct.error, IndexError, ValueError, TypeError, Scapy_Exception):
            return  # scapy gave up on it (a frame shorter than its own header)
        except Exception as exc:  # noqa: BLE001 - a dissector bug: this frame only
            self.heard.fault(exc)
            return
        self.read(packet)

    def _fragment(self, frame: bytes) -> bool:
        """Read `frame` here if it is an Ethernet frame with an IPv4 fragment of a UDP
        datagram (True); False leaves it to scapy."""
        start = 18 if frame[12:14] == b"\x81\x00" else 14
        if frame[start - 2 : start] != b"\x08\x00" or len(frame) < start + 20:
            return False
        header = frame[start : start + 20]
        length, size = (header[0] & 0x0F) * 4, int.from_bytes(header[2:4], "big")
        flags = int.from_bytes(header[6:8], "big")
        if header[0] >> 4 != 4 or header[9] != 17 or not flags & 0x3FFF or length < 20:
            return False  # not IPv4, not UDP, or not a fragment (MF clear, offset 0)
        if size < length or len(frame) < start + size:
            return False  # lengths that lie: scapy's reading (and its refusal) decides
        source = ".".join(map(str, header[12:16]))
        key = (source, ".".join(map(str, header[16:20])), int.from_bytes(header[4:6], "big"))
        payload = frame[start + length : start + size]
        self.read_fragment(key, (flags & 0x1FFF) * 8, payload, not flags & 0x2000)
        return True

    def read_fragment(self, key: tuple[str, str, int], offset: int, data: bytes, last: bool
                      ) -> None:
        """One IPv4 fragment of a UDP datagram; the datagram is read once it is whole."""
        try:
            whole = self._fragments.add(key, offset, data, last)
            if whole is not None and len(whole) >= 8:
                self._udp(key[0], UDP(whole))
        except Exception as exc:  # noqa: BLE001 - a bug, isolated to this frame
            self.heard.fault(exc)

    def read(self, packet: Any) -> None:
        """One decoded frame. This is where listening and capture reading are isolated
        (zgrab2's rule, issue 12): a bug met on one frame is counted in the document
        (``frames: error: ...``) and every later frame is still read."""
        try:
            self._read(packet)
        except Exception as exc:  # noqa: BLE001 - a bug, isolated to this frame
            self.heard.fault(exc)

    def _read(self, packet: Any) -> None:
        if ARP in packet:
            self._arp(packet[ARP])
            return
        ip = packet.getlayer(IP)
        if ip is None:
            return
        if int(ip.frag) or ip.flags.MF:
            if int(ip.proto) == 17:
                key = (str(ip.src), str(ip.dst), int(ip.id))
                self.read_fragment(key, int(ip.frag) * 8, _payload(ip), not ip.flags.MF)
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
        tally = self.heard.tally("arp")
        sender = _arp_sender(arp)
        if sender is None:
            tally.errors += 1  # not IPv4 over Ethernet, or lengths that lie: dropped, counted
            return
        if int(arp.op) not in (1, 2):
            return
        ip, mac = sender
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
        if self.streams is not None and protocol in ANNOUNCING:
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
