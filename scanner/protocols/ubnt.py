"""Ubiquiti (UniFi/UBNT) discovery over UDP 10001: ``01 00 00 00`` asks, TLVs answer.

Wire format: the request is 4 bytes, version 1, command 0 (info), payload length 0
(antoine-lombardo/unifi-cam-proxy adoption-flow.md; bahamas10/unifi-proxy client.js), sent
to 233.89.188.1 and broadcast on port 10001. The answer is ``version(1) command(1)
length(u16 BE)`` then TLVs ``type(1) length(u16 BE) value``: real answers of a UVC G4 Pro
camera and a UFP-UAP-B bridge are in uilibs/unifi-discovery tests/test_init.py. TLV names
follow those two sources. Ubiquiti's OUIs are shared with its routers, so only this answer's
``platform`` tells a camera (UVC ...) from anything else (docs/protocols.md §UBNT).

The ``ubnt.reply`` observation is the answer rendered as ``key=value`` lines, since the wire
form is binary; unknown TLV types keep their bytes as ``tlv_0xNN=<hex>``.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

from scanner.errors import DecodeError
from scanner.parse.kv import Fields, normalize_mac, parse_kv_lines
from scanner.protocols.asked import ExchangeProbe, heard_by
from scanner.protocols.field import FieldSpec
from scanner.protocols.lan import Findings
from scanner.protocols.listening import Listening
from scanner.protocols.spec import ProtocolSpec
from scanner.protocols.udp import Datagram, UdpPlan

PORT = 10001
GROUP = "233.89.188.1"
REQUEST = b"\x01\x00\x00\x00"
TLVS_MAX = 64

_MAC, _IPINFO, _IP, _INT, _TEXT = "mac", "ipinfo", "ip", "int", "text"
#: type -> (key, kind)
TLV_NAMES: dict[int, tuple[str, str]] = {
    0x01: ("hwaddr", _MAC),
    0x02: ("ipinfo", _IPINFO),
    0x03: ("firmware", _TEXT),
    0x04: ("address", _IP),
    0x05: ("mac", _MAC),
    0x0A: ("uptime", _INT),
    0x0B: ("hostname", _TEXT),
    0x0C: ("platform", _TEXT),
    0x0D: ("essid", _TEXT),
    0x0E: ("wmode", _INT),
    0x14: ("model", _TEXT),
    0x15: ("model_short", _TEXT),
    0x16: ("version", _TEXT),
    0x17: ("is_default", _INT),
    0x20: ("device_id", _TEXT),
}

PLAN = UdpPlan(PORT, (REQUEST,), groups=(GROUP,), broadcast=True)


@dataclass(frozen=True, slots=True)
class UbntReply(Fields):
    """The TLVs of an answer as named `fields` (TLV_NAMES), and the protocol version."""

    version: int

    def text(self) -> str:
        """The ``ubnt.reply`` value: one ``key=value`` line per TLV, in the order sent."""
        return "\n".join(f"{k}={v}" for k, v in self.fields)

    @property
    def mac(self) -> str | None:
        raw = self.get("hwaddr") or self.get("mac") or (self.get("ipinfo") or "").split(";")[0]
        return normalize_mac(raw) if raw else None


def parse_ubnt(data: bytes) -> UbntReply:
    """Parse an answer; DecodeError if it is not one (a request has no TLVs)."""
    if len(data) < 4 or data[0] not in (1, 2):
        raise DecodeError("not a Ubiquiti discovery answer")
    (length,) = struct.unpack_from(">H", data, 2)
    body = data[4 : 4 + length]
    if length == 0 or len(body) < length:
        raise DecodeError(f"Ubiquiti answer cut short ({len(body)} of {length} bytes)")
    entries: list[tuple[str, str]] = []
    offset = 0
    while offset + 3 <= len(body) and len(entries) < TLVS_MAX:
        kind = body[offset]
        (size,) = struct.unpack_from(">H", body, offset + 1)
        value = body[offset + 3 : offset + 3 + size]
        if len(value) < size:
            raise DecodeError(f"Ubiquiti TLV 0x{kind:02x} cut short")
        entries.append(_entry(kind, value))
        offset += 3 + size
    if not entries:
        raise DecodeError("Ubiquiti answer holds no TLV")
    return UbntReply(tuple(entries), data[0])


def _entry(kind: int, value: bytes) -> tuple[str, str]:
    name, form = TLV_NAMES.get(kind, (f"tlv_0x{kind:02x}", ""))
    if form == _MAC and len(value) == 6:
        return name, ":".join(f"{b:02x}" for b in value)
    if form == _IPINFO and len(value) == 10:
        mac = ":".join(f"{b:02x}" for b in value[:6])
        return name, f"{mac};{ipaddress.IPv4Address(value[6:])}"
    if form == _IP and len(value) == 4:
        return name, str(ipaddress.IPv4Address(value))
    if form == _INT and 0 < len(value) <= 8:
        return name, str(int.from_bytes(value, "big"))
    if form == _TEXT:
        return name, " ".join(value.decode("utf-8", "replace").split())
    return name, value.hex()


def read_answer(datagram: Datagram, findings: Findings) -> bool:
    reply = parse_ubnt(datagram.data)
    findings.add(datagram.source, PORT, "ubnt.reply", reply.text())
    findings.add(datagram.source, None, "mac", reply.mac)
    return True


class UbntProbe(ExchangeProbe):
    def __init__(self) -> None:
        super().__init__("ubnt", PLAN, read_answer)


#: The observation fields this protocol emits (gathered by scanner.protocols.registry).
FIELDS = (FieldSpec("ubnt.reply", table=lambda value: parse_kv_lines(value).table()),)


def is_request(data: bytes) -> bool:
    """A request (01 00 00 00, 02 08 00 00): no TLVs."""
    return len(data) >= 4 and data[2:4] == b"\x00\x00"


#: Answers to anyone's search are read (Ubiquiti devices answer by broadcast).
LISTENING = Listening("ubnt", PORT, (GROUP,), heard_by("ubnt", read_answer, is_request))


PROTOCOL = ProtocolSpec("ubnt", "lan", FIELDS, discovery=UbntProbe(), listening=LISTENING)
