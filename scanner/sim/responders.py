"""Multicast personas: asyncio UDP responders that answer discovery as real devices did.

The answers come from scanner/sim/data/discovery/*.toml, each a real capture with its source;
the only changes are the tokens listed at the top of those files (the persona's own address,
the request's Uuid / MessageID). A :class:`Responder` serves a set of personas, each at its
own address, on one network stack: inside a network namespace (one persona per namespace in
tests/lan) or on loopback (unit tests, multicast pinned to ``lo`` with TTL 0).

Per protocol port it opens one wildcard socket that joins the protocol's group (multicast and
broadcast requests; answered from the persona's address with IP_PKTINFO) and one socket per
persona address (directed requests; the more specific bind wins for unicast).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import struct
import tomllib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from zeroconf import IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from scanner.errors import DecodeError
from scanner.parse.xmlsafe import Element, parse_xml

IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # Linux value; Python 3.11 lacks the name
GROUP, GROUP_DAHUA, GROUP_UBNT = "239.255.255.250", "239.255.255.251", "233.89.188.1"
#: protocol -> (port, groups joined, answer goes to the group instead of the sender)
PORTS: dict[str, tuple[int, tuple[str, ...], bool]] = {
    "wsd": (3702, (GROUP,), False),
    "ssdp": (1900, (GROUP,), False),
    "sadp": (37020, (GROUP,), True),
    "dhip": (37810, (GROUP_DAHUA,), False),
    "ubnt": (10001, (GROUP_UBNT,), False),
    "xm": (34569, (), False),
    "tdp": (20002, (), False),
}
_KNOWN_NS = {
    "dn": "http://www.onvif.org/ver10/network/wsdl",
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "wsdp": "http://schemas.xmlsoap.org/ws/2006/02/devprof",
}


@dataclass(frozen=True)
class DiscoveryPersona:
    """One simulated device: its answers per protocol (raw TOML tables) and what it is."""

    name: str
    description: str
    label: dict[str, Any]
    expect: tuple[str, ...]
    answers: dict[str, dict[str, Any]]
    """protocol ("sadp", "wsd", "dhip", "ssdp", "ubnt", "xm", "tdp", "mdns") -> its table."""
    colocate: str | None = None
    """Name of the unicast persona (personas.toml) that is the same device, if any."""

    def sources(self) -> tuple[str, ...]:
        return tuple(s for table in self.answers.values() for s in table.get("source", []))


def load_discovery_personas() -> tuple[DiscoveryPersona, ...]:
    """Every persona of scanner/sim/data/discovery/*.toml (ValueError on bad data)."""
    folder = resources.files("scanner.sim").joinpath("data/discovery")
    found: list[DiscoveryPersona] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        for raw in tomllib.loads(entry.read_text("utf-8")).get("persona", []):
            answers = {k: v for k, v in raw.items() if k in (*PORTS, "mdns")}
            if not answers or not all(t.get("source") for t in answers.values()):
                raise ValueError(
                    f"{entry.name}: persona {raw.get('name')!r} lacks a sourced answer"
                )
            expect = tuple(raw.get("expect", ()))
            if not set(expect) <= set(answers):
                raise ValueError(f"{entry.name}: {raw['name']!r} expects a probe it cannot answer")
            found.append(
                DiscoveryPersona(
                    raw["name"], raw.get("description", ""), raw.get("label", {}), expect,
                    answers, raw.get("colocate"),
                )
            )
    return tuple(found)


def fill(text: str, **tokens: str) -> str:
    """Replace the {token}s of a capture (plain replacement: captures hold JSON braces)."""
    for key, value in tokens.items():
        text = text.replace("{" + key + "}", value)
    return text


def le_hex(ip: str) -> str:
    """192.168.1.10 -> '0x0a01a8c0' (how Xiongmai writes HostIP)."""
    return "0x" + socket.inet_aton(ip)[::-1].hex()


# -- answers: (persona table, persona address, request) -> datagram or None -----------------

Builder = Callable[[dict[str, Any], str, bytes], bytes | None]


def sadp_answer(table: dict[str, Any], ip: str, request: bytes) -> bytes | None:
    try:
        probe = parse_xml(request).root
    except DecodeError:
        return None
    if probe.tag != "Probe" or not probe.child_text("Uuid"):
        return None
    return fill(table["reply"], uuid=probe.child_text("Uuid") or "", ip=ip).encode()


def _namespaces(root: Element) -> dict[str, str]:
    found = dict(_KNOWN_NS)
    for element in root.iter():
        found.update({k[6:]: v for k, v in element.attrs if k.startswith("xmlns:")})
    return found


def _qualified(names: str, namespaces: dict[str, str]) -> set[tuple[str, str]]:
    result = set()
    for name in names.split():
        prefix, _, local = name.rpartition(":")
        result.add((namespaces.get(prefix, prefix), local))
    return result


def wsd_answer(table: dict[str, Any], ip: str, request: bytes) -> bytes | None:
    """Answer a Probe whose Types the device has (all of them), as WS-Discovery requires."""
    try:
        root = parse_xml(request).root
    except DecodeError:
        return None
    probe = root.find("Probe")
    message_id = root.find("MessageID")
    if probe is None or message_id is None or root.find("ProbeMatch") is not None:
        return None
    namespaces = _namespaces(root)
    wanted = _qualified(probe.child_text("Types") or "", namespaces)
    have = _qualified(" ".join(table["types"]), dict(_KNOWN_NS))
    if not wanted <= have:
        return None
    text = fill(table["reply"], ip=ip, message_id=str(uuid.uuid4()), relates_to=message_id.text)
    return text.encode()


def dhip_answer(table: dict[str, Any], ip: str, request: bytes) -> bytes | None:
    if request[4:8] != b"DHIP" or b"DHDiscover.search" not in request:
        return None
    body = fill(table["json"], ip=ip).encode() + bytes.fromhex(table.get("tail", ""))
    return (
        struct.pack("<I", 32) + b"DHIP" + bytes(8) + struct.pack("<QQ", len(body), len(body)) + body
    )


def ssdp_answer(table: dict[str, Any], ip: str, request: bytes) -> bytes | None:
    head = request[:2048].upper()
    if not head.startswith(b"M-SEARCH") or b"SSDP:ALL" not in head:
        return None
    return fill(table["reply"], ip=ip).encode()


def ubnt_answer(table: dict[str, Any], ip: str, request: bytes) -> bytes | None:
    if request[:4] != b"\x01\x00\x00\x00":
        return None
    old = bytes.fromhex(table["address_hex"])
    return bytes.fromhex(table["reply_hex"]).replace(old, socket.inet_aton(ip))


def xm_answer(table: dict[str, Any], ip: str, request: bytes) -> bytes | None:
    if len(request) < 20 or request[0] != 0xFF or request[14:16] != b"\xfa\x05":
        return None
    body = fill(
        table["json"], ip_le_hex=le_hex(ip), IP_LE_HEX=le_hex(ip).upper().replace("0X", "0x")
    )
    data = body.encode() + bytes.fromhex(table.get("tail", ""))
    return struct.pack("<BBHIIHHI", 0xFF, 1, 0, 0, 0, 0, 1531, len(data)) + data


def tdp_answer(table: dict[str, Any], ip: str, request: bytes) -> bytes | None:
    """TP-Link discovery: the 16-byte header (version 2, answer) then the captured JSON."""
    if len(request) < 16 or request[0] != 2 or request[2:4] != b"\x00\x01":
        return None
    body = fill(table["json"], ip=ip).encode()
    head = struct.pack(">BBHHBBII", 2, 0, 1, len(body), 17, 0, 0, 0)
    return head + body


BUILDERS: dict[str, Builder] = {
    "sadp": sadp_answer,
    "wsd": wsd_answer,
    "dhip": dhip_answer,
    "ssdp": ssdp_answer,
    "ubnt": ubnt_answer,
    "xm": xm_answer,
    "tdp": tdp_answer,
}


# -- serving --------------------------------------------------------------------------------


class _Endpoint(asyncio.DatagramProtocol):
    """One socket: answers each request for the personas it serves."""

    def __init__(
        self,
        responder: Responder,
        protocol: str,
        placed: list[tuple[DiscoveryPersona, str]],
        sock: socket.socket,
        wide: bool,
    ) -> None:
        self.responder, self.protocol, self.placed = responder, protocol, placed
        self.sock, self.wide = sock, wide

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        if addr[0] in self.responder.addresses:
            return  # our own answer or our own echo
        port, _, to_group = PORTS[self.protocol]
        for persona, ip in self.placed:
            answer = BUILDERS[self.protocol](persona.answers[self.protocol], ip, data)
            if answer is not None:
                self.responder.answered += 1
                destination = (GROUP, port) if to_group else (str(addr[0]), int(addr[1]))
                self._send(answer, ip, destination)

    def _send(self, data: bytes, source: str, destination: tuple[str, int]) -> None:
        """From the persona's own address: IP_PKTINFO on a wildcard socket, else the bind."""
        with contextlib.suppress(OSError):
            if self.wide:
                info = struct.pack("@i4s4s", 0, socket.inet_aton(source), bytes(4))
                self.sock.sendmsg([data], [(socket.IPPROTO_IP, IP_PKTINFO, info)], 0, destination)
            else:
                self.sock.sendto(data, destination)


def _same(endpoint: _Endpoint) -> _Endpoint:
    return endpoint


class Responder:
    """Serves `placed` personas (persona, address) on the current network stack."""

    def __init__(
        self,
        placed: Sequence[tuple[DiscoveryPersona, str]],
        *,
        interface_ip: str | None = None,
        multicast_ttl: int = 1,
        wide: bool = True,
    ) -> None:
        self.placed = list(placed)
        self.addresses = {ip for _, ip in self.placed}
        self.interface_ip = interface_ip
        self.ttl = multicast_ttl
        self.wide = wide
        """False: only directed (unicast) requests are answered (no group sockets)."""
        self.answered = 0
        self._transports: list[asyncio.BaseTransport] = []
        self._zeroconf: AsyncZeroconf | None = None

    async def __aenter__(self) -> Responder:
        try:
            for protocol in PORTS:
                served = [(p, ip) for p, ip in self.placed if protocol in p.answers]
                if served:
                    await self._serve(protocol, served)
            await self._announce()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _serve(self, protocol: str, served: list[tuple[DiscoveryPersona, str]]) -> None:
        port, groups, _ = PORTS[protocol]
        binds = [(ip, [(p, ip)], False) for p, ip in served]
        if self.wide:
            binds.append(("0.0.0.0", served, True))
        loop = asyncio.get_running_loop()
        for address, personas, wide in binds:
            sock = self._socket(address, port, groups if wide else ())
            endpoint = _Endpoint(self, protocol, personas, sock, wide)
            transport, _ = await loop.create_datagram_endpoint(
                functools.partial(_same, endpoint), sock=sock
            )
            self._transports.append(transport)

    def _socket(self, address: str, port: int, groups: Sequence[str]) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, self.ttl)
        if self.interface_ip:
            sock.setsockopt(
                socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(self.interface_ip)
            )
        sock.bind((address, port))
        for group in groups:
            membership = socket.inet_aton(group) + socket.inet_aton(self.interface_ip or "0.0.0.0")
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        sock.setblocking(False)
        return sock

    async def _announce(self) -> None:
        """mDNS personas: registered with python-zeroconf (it answers queries)."""
        services = [(p, ip) for p, ip in self.placed if "mdns" in p.answers]
        if not services:
            return
        interfaces = [self.interface_ip] if self.interface_ip else [ip for _, ip in services]
        self._zeroconf = AsyncZeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
        for persona, ip in services:
            table = persona.answers["mdns"]
            properties = dict(entry.partition("=")[::2] for entry in table.get("txt", []))
            info = AsyncServiceInfo(
                table["type"],
                f"{table['instance']}.{table['type']}",
                addresses=[socket.inet_aton(ip)],
                port=int(table["port"]),
                properties=properties,
                server=table["server"],
            )
            await (await self._zeroconf.async_register_service(info, cooperating_responders=True))

    async def close(self) -> None:
        for transport in self._transports:
            transport.close()
        self._transports = []
        if self._zeroconf is not None:
            await self._zeroconf.async_close()
            self._zeroconf = None
