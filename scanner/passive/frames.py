"""Link-layer frames (sniffed or from a capture) -> the protocols' frame, datagram and stream
readers.

scapy decodes the frame; camscan decodes nothing below the discovery payloads itself but
the fixed header fields a cheap pre-filter looks at (:func:`wanted`), so a busy link costs
scapy's time only for frames on the ports camscan understands. IPv4 fragments are put back
together (WS-Discovery answers are often larger than one Ethernet frame), within bounds.

- a frame of a protocol below the discovery ports (ARP by its layer, DHCP by its UDP ports)
  -> that protocol's ``FRAME`` hook (``FRAMES`` in scanner.protocols.registry);
- UDP on a discovery port -> scanner.passive.datagrams.
- TCP on a camera port -> scanner.passive.streams (captures only).

IPv4 only: an IPv6 announcement (mDNS to ff02::fb, WS-Discovery to ff02::c) is not read,
since devices announce the same over IPv4 and a second address would split one device.
"""

from __future__ import annotations

import bisect
import importlib
import struct
from collections import OrderedDict
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from scapy.error import Scapy_Exception
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether

from scanner.passive.datagrams import ANNOUNCING, PORTS, DatagramReader, protocol_of
from scanner.passive.heard import Heard
from scanner.passive.streams import Streams
from scanner.protocols.registry import FRAMES

for _reading in FRAMES:  # the protocols' scapy dissectors, bound before any frame is read
    if _reading.dissector:
        importlib.import_module(_reading.dissector)
LAYER_READINGS = tuple(reading for reading in FRAMES if reading.layer)
UDP_READINGS = tuple(reading for reading in FRAMES if reading.udp_ports)
ETHERTYPES = frozenset(reading.ethertype for reading in FRAMES if reading.ethertype)
UDP_PORTS = frozenset(PORTS).union(*(reading.udp_ports for reading in FRAMES))
FRAGMENTED_MAX = 64
"""Datagrams being put back together at once; the oldest is dropped beyond this."""
DATAGRAM_BYTES_MAX = 65_535
FRAGMENTS_PER_DATAGRAM_MAX = 128
"""Fragments one datagram may come in (64 KiB in 576-byte frames is 120); more, and the
datagram is given up."""
FRAGMENT_BYTES_MAX = 2 * 1024 * 1024
"""Fragment payload bytes held at once over all datagrams: the oldest datagrams are given up
to make room (issue 12: overlapping fragments once grew one capture to 1.1 GB)."""
REFUSED = "IPv4 fragments refused (overlapping, repeated offset, too many or too long)"


def wanted(frame: bytes, tcp_ports: AbstractSet[int] = frozenset()) -> bool:
    """Whether an Ethernet frame may matter: ARP, UDP on a discovery or DHCP port, a later
    IPv4 fragment, TCP on one of `tcp_ports`. Reads fixed header fields only."""
    offset = 12
    if frame[12:14] == b"\x81\x00":  # one 802.1Q tag
        offset = 16
    kind = frame[offset : offset + 2]
    if kind in ETHERTYPES:
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
        for reading in LAYER_READINGS:
            if reading.layer in packet:
                reading.hear(self.heard, "", packet[reading.layer])
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

    def _udp(self, source: str, udp: Any) -> None:
        ports = (int(udp.sport), int(udp.dport))
        for reading in UDP_READINGS:
            if ports[0] in reading.udp_ports and ports[1] in reading.udp_ports:
                reading.hear(self.heard, source, udp)
                return
        protocol = protocol_of(*ports)
        if protocol is None:
            return
        self.datagrams.read(protocol, source, ports[0], _payload(udp))
        if self.streams is not None and protocol in ANNOUNCING:
            for port in self.datagrams.announced_ports(source):
                self.streams.follow(port)
