"""Real device messages, and the frames and captures that carry them, for the passive tests.

Every payload is a real capture: the files of tests/fixtures/captures, the discovery
personas of scanner/sim/data/discovery (built by the responders' own answer builders), the
unicast personas of scanner/sim/data/personas.toml, and the announcers of
tests/passive/announcers. Only the Ethernet/IP/UDP/TCP framing around them is made here, with
scapy, the way a host's stack would frame them.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.utils import wrpcap
from zeroconf import DNSOutgoing, ServiceInfo, const  # type: ignore[attr-defined]

from scanner.protocols import dhip, sadp, tdp, ubnt, wsd, xm
from scanner.sim.responders import (
    BUILDERS,
    DiscoveryPersona,
    load_discovery_personas,
)

ROOT = Path(__file__).resolve().parents[2]
CAPTURES = ROOT / "tests" / "fixtures" / "captures"
PERSONAS: dict[str, DiscoveryPersona] = {p.name: p for p in load_discovery_personas()}
MAC = "02:00:5e:00:00:01"
PEER = "02:00:5e:00:00:02"
"""Every frame names both MACs: scapy would ARP for a missing destination (conftest.py)."""


def ether(src: str = MAC, dst: str = PEER) -> Any:
    return Ether(src=src, dst=dst)


def capture(name: str) -> bytes:
    return (CAPTURES / name).read_bytes()


def answer(persona: str, protocol: str, ip: str) -> bytes:
    """What the discovery persona sends when asked (its real capture, address filled in)."""
    requests = {
        "sadp": sadp.inquiry("7A0C5E1D-1B8C-4E0B-9C6B-2F1D00C0FFEE"),
        "dhip": dhip.search_request(),
        "ubnt": ubnt.REQUEST,
        "xm": xm.search_request(),
        "tdp": tdp.request(7),
        "wsd": wsd.probe_message(
            "urn:uuid:6a0f1c8e-4b8e-4a7e-9d1c-0d4c3a2b1f00",
            "dn", "http://www.onvif.org/ver10/network/wsdl", "NetworkVideoTransmitter",
        ),
        "ssdp": b'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\n'
        b"MX: 1\r\nST: ssdp:all\r\n\r\n",
    }
    built = BUILDERS[protocol](PERSONAS[persona].answers[protocol], ip, requests[protocol])
    assert built is not None
    return built


def mdns_announcement(persona: str, ip: str) -> bytes:
    """The announcement python-zeroconf multicasts for the persona's service."""
    table = PERSONAS[persona].answers["mdns"]
    info = ServiceInfo(
        table["type"], f"{table['instance']}.{table['type']}",
        addresses=[socket.inet_aton(ip)], port=int(table["port"]),
        properties=dict(e.partition("=")[::2] for e in table.get("txt", [])),
        server=table["server"],
    )
    out = DNSOutgoing(const._FLAGS_QR_RESPONSE | const._FLAGS_AA)
    for record in (*info.dns_addresses(), info.dns_pointer(), info.dns_service(),
                   info.dns_text()):
        out.add_answer_at_time(record, 0)
    packets: list[bytes] = out.packets()
    return packets[0]


def udp(src: str, sport: int, dst: str, dport: int, payload: bytes, mac: str = MAC) -> Any:
    return ether(mac) / IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) / payload


def tcp_stream(
    server: str, sport: int, client: str, cport: int, data: bytes, *, isn: int = 1000,
    mss: int = 536, syn: bool = True,
) -> list[Any]:
    """The server's side of a connection: SYN-ACK, then `data` in `mss`-byte segments."""
    frames: list[Any] = []
    if syn:
        frames.append(ether() / IP(src=server, dst=client)
                      / TCP(sport=sport, dport=cport, flags="SA", seq=isn))
    for start in range(0, len(data), mss):
        frames.append(ether() / IP(src=server, dst=client) / TCP(
            sport=sport, dport=cport, flags="PA", seq=(isn + 1 + start) & 0xFFFFFFFF
        ) / data[start : start + mss])
    return frames


def write_pcap(path: Path, frames: list[Any]) -> Path:
    wrpcap(str(path), frames)
    return path
