"""The discovery side of the hostile personas, and the outsider that proves nothing leaves.

Each UDP attack answers the requests camscan sends (SSDP M-SEARCH, WS-Discovery Probe, SADP
inquiry, mDNS query, or any datagram at all for ``udp-junk``) to the sender. In a namespace
of its own a persona binds the wildcard address and joins the protocol's group, so multicast
requests reach it; on loopback it binds its own address and answers directed requests only.

The outsider stands at an address outside the scan scope, where hostile answers and
redirects point. It counts TCP connections on the ports they name and, where raw sockets
are allowed, every IPv4 packet sent to it (an AF_PACKET capture): both must stay zero.
The pivot's victim is an :class:`Outsider` too, but inside the scope: the scan may sweep it,
so only connections and packets to the ports the pivot persona names (``PIVOT_PORTS``)
count, and they must stay zero (issue 12: a device's URL must never aim camscan at another
host).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from scanner.sim.responders import BUILDERS, GROUP, GROUP_DAHUA, GROUP_UBNT
from tests.hostile.lab import personas as hostile
from tests.hostile.lab.personas import HostilePersona

MDNS_GROUP, MDNS_PORT = "224.0.0.251", 5353
JUNK_PORTS: dict[int, tuple[str, ...]] = {
    3702: (GROUP,),
    1900: (GROUP,),
    37020: (GROUP,),
    37810: (GROUP_DAHUA,),
    10001: (GROUP_UBNT,),
    34569: (),
    MDNS_PORT: (MDNS_GROUP,),
}
JUNK_SIZE = 65_507
"""The largest UDP payload IPv4 carries."""
JUNK_BURST = 128
"""Datagrams per request: 8 MiB, paced so that camscan reads them rather than the kernel
dropping them (a burst the receiver never sees tests nothing)."""
JUNK_PACE = 0.0003
FLOOD_INSTANCES = 3000
FLOOD_ANSWERS_MAX = 8
"""Queries the mDNS flooder answers (each answer is 12,000 records); later ones are ignored."""
FLOOD_QUESTIONS = ("_http._tcp.local.", "_services._dns-sd._udp.local.")
_ETH_P_IP = 0x0800
PIVOT_PORTS = (6379, 6380)
"""The victim's ports the pivot persona names: a Redis-like one in its LOCATION, another in
its XAddrs (neither is a camera port, so the port sweep never touches them)."""
PIVOT_LOCATION = "http://{victim}:6379/evil?cmd=FLUSHALL"
PIVOT_XADDR = "http://{victim}:6380/onvif/../../admin/reboot.cgi"
FRAMES_PER_WAKE = 64
"""Frames the outsider's capture reads before letting the other personas run."""

Answer = Callable[[bytes], list[bytes]]
"""A request -> the datagrams to send back (none: not a request this persona answers)."""


@dataclass
class UdpService:
    port: int
    groups: tuple[str, ...]
    answer: Answer
    pace: float = 0.0
    """Seconds between the datagrams of one answer (0: all at once)."""


def _one(build: Callable[[bytes], bytes | None]) -> Answer:
    return lambda request: [data] if (data := build(request)) else []


def junk_answer(seed: int) -> Answer:
    """Every datagram gets JUNK_BURST distinct datagrams of random bytes."""
    rng = random.Random(seed)
    return lambda request: [rng.randbytes(JUNK_SIZE) for _ in range(JUNK_BURST)]


def _name(name: str) -> bytes:
    """A DNS name in wire form (no compression)."""
    labels = name.rstrip(".").split(".")
    return b"".join(bytes([len(part)]) + part.encode() for part in labels) + b"\0"


def _record(name: str, kind: int, unique: bool, ttl: int, data: bytes) -> bytes:
    klass = 0x8001 if unique else 0x0001  # IN, with the cache-flush bit for unique records
    return _name(name) + struct.pack(">HHIH", kind, klass, ttl, len(data)) + data


_PTR, _TXT, _SRV, _A = 12, 16, 33, 1
PACKET_MAX = 4000
"""Bytes of records per flood packet (zeroconf reads up to 8966)."""


def mdns_flood(address: str, instances: int = FLOOD_INSTANCES) -> list[bytes]:
    """mDNS response packets with PTR, SRV, TXT and A records for `instances` services."""
    kind, packets, body, count = "_http._tcp.local.", [], b"", 0
    for n in range(instances):
        name, host = f"flood-{n:05d}.{kind}", f"flood-{n:05d}.local."
        records = (
            _record(kind, _PTR, False, 4500, _name(name)),
            _record(name, _SRV, True, 120, struct.pack(">HHH", 0, 0, 80) + _name(host)),
            _record(name, _TXT, True, 4500, b"\x07flood=1"),
            _record(host, _A, True, 120, socket.inet_aton(address)),
        )
        if len(body) + sum(map(len, records)) > PACKET_MAX:
            packets.append(struct.pack(">HHHHHH", 0, 0x8400, 0, count, 0, 0) + body)
            body, count = b"", 0
        body, count = body + b"".join(records), count + len(records)
    packets.append(struct.pack(">HHHHHH", 0, 0x8400, 0, count, 0, 0) + body)
    return packets


def questions(packet: bytes) -> list[tuple[str, int]]:
    """(name, type) of each question of a DNS query; [] for an answer or a broken packet."""
    if len(packet) < 12 or packet[2] & 0x80:
        return []
    found: list[tuple[str, int]] = []
    pos = 12
    try:
        for _ in range(min(int.from_bytes(packet[4:6], "big"), 32)):
            name, pos = _read_name(packet, pos)
            found.append((name, int.from_bytes(packet[pos : pos + 2], "big")))
            pos += 4
    except (IndexError, ValueError):
        return found
    return found


def _read_name(packet: bytes, pos: int) -> tuple[str, int]:
    """A (possibly compressed) name at `pos`: (dotted name, position after it)."""
    labels: list[str] = []
    end = 0
    for _ in range(64):
        length = packet[pos]
        if length == 0:
            return ".".join(labels) + ".", end or pos + 1
        if length & 0xC0 == 0xC0:
            end = end or pos + 2
            pos = (length & 0x3F) << 8 | packet[pos + 1]
            continue
        labels.append(packet[pos + 1 : pos + 1 + length].decode("latin-1"))
        pos += 1 + length
    raise ValueError("name loops")


def _mdns_answer(address: str) -> Answer:
    packets = mdns_flood(address)
    answered = [0]

    def answer(request: bytes) -> list[bytes]:
        # only browsing queries (PTR for a service type) are flooded: a zeroconf neighbour
        # probing for its own name must not use the answers up before camscan asks
        browsing = any(
            kind == _PTR and name.lower() in FLOOD_QUESTIONS for name, kind in questions(request)
        )
        if not browsing or answered[0] >= FLOOD_ANSWERS_MAX:
            return []
        answered[0] += 1
        return packets

    return answer


def udp_services(
    persona: HostilePersona, address: str, outsider: str, victim: str | None = None
) -> list[UdpService]:
    """What `persona` answers over UDP, at `address`, with `outsider` outside the scope and
    `victim` another host inside it (needed by the pivot persona only)."""
    name = persona.name

    def ssdp(location: str) -> UdpService:
        table = {"reply": hostile.ssdp_answer(location).decode()}
        return UdpService(1900, (GROUP,), _one(lambda r: BUILDERS["ssdp"](table, address, r)))

    def wsd(xaddrs: str) -> UdpService:
        table = hostile.probematch_table(xaddrs)
        return UdpService(3702, (GROUP,), _one(lambda r: BUILDERS["wsd"](table, address, r)))

    upnp = f"http://{address}:{hostile.UPNP_PORT}"
    if name == "ssdp-billion-laughs":
        return [ssdp(f"{upnp}/rootdesc1.xml")]
    if name == "ssdp-location-unicode":
        return [ssdp(f"{upnp}{hostile.UNICODE_PATH}")]
    if name == "ssdp-location-outside":
        return [ssdp(f"http://{outsider}:{hostile.UPNP_PORT}/rootdesc1.xml")]
    if name == "onvif-billion-laughs":
        return [wsd(f"http://{address}:{hostile.ONVIF_PORT}/onvif/device_service")]
    if name == "wsd-xaddr-outside":
        return [wsd(f"http://{outsider}/onvif/device_service")]
    if name == "ssdp-wsd-pivot":
        if victim is None:
            raise ValueError("hostile lab: the pivot persona needs a victim address")
        return [ssdp(PIVOT_LOCATION.format(victim=victim)),
                wsd(PIVOT_XADDR.format(victim=victim))]
    if name == "sadp-external-entity":
        table = hostile.sadp_external_entity_table()
        return [UdpService(37020, (GROUP,), _one(lambda r: BUILDERS["sadp"](table, address, r)))]
    if name == "udp-junk":
        return [UdpService(p, g, junk_answer(p), JUNK_PACE) for p, g in JUNK_PORTS.items()]
    if name == "mdns-flood":
        # paced, or the receiver's socket buffer would drop most of it before camscan saw it
        return [UdpService(MDNS_PORT, (MDNS_GROUP,), _mdns_answer(address), pace=0.001)]
    return []


class _Answering(asyncio.DatagramProtocol):
    def __init__(self, service: UdpService, counts: Counter[str], key: str) -> None:
        self.service, self.counts, self.key = service, counts, key
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if self.transport is None:
            return
        loop = asyncio.get_running_loop()
        peer = (str(addr[0]), int(addr[1]))
        for n, datagram in enumerate(self.service.answer(data)):
            self.counts[self.key] += 1
            if self.service.pace:
                loop.call_later(n * self.service.pace, self._send, datagram, peer)
            else:
                self._send(datagram, peer)

    def _send(self, datagram: bytes, peer: tuple[str, int]) -> None:
        if self.transport is not None and not self.transport.is_closing():
            with contextlib.suppress(OSError):
                self.transport.sendto(datagram, peer)


async def serve_udp(
    service: UdpService, address: str, own_namespace: bool, counts: Counter[str], key: str
) -> asyncio.BaseTransport:
    """One answering socket: wildcard + groups in a namespace of its own, else `address`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
        sock.bind(("0.0.0.0" if own_namespace else address, service.port))
        for group in service.groups if own_namespace else ():
            membership = socket.inet_aton(group) + socket.inet_aton(address)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Answering(service, counts, key), sock=sock
    )
    return transport


# -- the outsider ---------------------------------------------------------------------------


@dataclass
class Outsider:
    """Counts every attempt to reach `address` (which lies outside the scan scope)."""

    address: str
    ports: tuple[int, ...] = (80, hostile.ONVIF_PORT, hostile.UPNP_PORT)
    watched: tuple[int, ...] = ()
    """Count only TCP/UDP packets to these ports (): every packet to `address`)."""
    connections: list[str] = field(default_factory=list)
    """'<peer> -> <port>' for each TCP connection accepted."""
    packets: list[str] = field(default_factory=list)
    """'<proto> <src> -> <dst>:<port>' for each IPv4 packet captured (first 100)."""
    packet_count: int = 0
    capturing: str = ""
    """Interface captured on ('' when raw sockets are not allowed)."""

    async def start(self, capture: str | None, stack: contextlib.AsyncExitStack) -> None:
        for port in self.ports:
            server = await asyncio.start_server(self._accepted(port), self.address, port)
            stack.push_async_callback(_closed, server)
        if capture:
            self._capture(capture, stack)

    def _accepted(self, port: int) -> hostile.Handler:
        async def on_connect(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            peer = writer.get_extra_info("peername")
            self.connections.append(f"{peer[0] if peer else '?'} -> {port}")
            writer.close()

        return on_connect

    def _capture(self, interface: str, stack: contextlib.AsyncExitStack) -> None:
        try:
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(_ETH_P_IP))
        except (OSError, AttributeError):
            return  # no raw sockets here: the listeners alone must prove it
        sock.bind((interface, _ETH_P_IP))
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        loop.add_reader(sock.fileno(), self._frame, sock)
        stack.callback(sock.close)
        stack.callback(loop.remove_reader, sock.fileno())
        self.capturing = interface

    def _frame(self, sock: socket.socket) -> None:
        # At most a burst per wake-up: under a flood "until the socket is empty" never came,
        # and the personas sharing this loop went unanswered past a scan's deadline.
        with contextlib.suppress(BlockingIOError, InterruptedError):
            for _ in range(FRAMES_PER_WAKE):
                self.note(sock.recv(2048)[14:])

    def note(self, ip: bytes) -> None:
        """Count one IPv4 packet if it is addressed to the outsider."""
        if len(ip) < 20 or ip[0] >> 4 != 4 or socket.inet_ntoa(ip[16:20]) != self.address:
            return
        start = (ip[0] & 0x0F) * 4
        port = int.from_bytes(ip[start + 2 : start + 4], "big") if ip[9] in (6, 17) else 0
        if self.watched and port not in self.watched:
            return
        self.packet_count += 1
        if len(self.packets) < 100:
            proto = {6: "tcp", 17: "udp", 1: "icmp"}.get(ip[9], str(ip[9]))
            self.packets.append(f"{proto} {socket.inet_ntoa(ip[12:16])} -> {self.address}:{port}")

    def report(self) -> dict[str, object]:
        return {
            "address": self.address,
            "connections": list(self.connections),
            "packets": self.packet_count,
            "samples": list(self.packets),
            "capturing": self.capturing,
            "watched_ports": list(self.watched),
        }


async def _closed(server: asyncio.Server) -> None:
    server.close()
    await server.wait_closed()
