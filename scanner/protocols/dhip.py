"""Dahua DHIP discovery over UDP 37810: ``DHDiscover.search`` in a 32-byte DHIP header.

Wire format: docs/protocols.md §DHIP (mcw0/DahuaConsole net.py, rroller/dahua
discovery.py, UniversalScanner Dahua2.cs). The request goes to 239.255.255.251:37810, to the
interface's broadcast address and to each directed target (rroller: some units answer only
unicast); answers come back to the sender's port as ``client.notifyDevInfo``. Bare JSON gets
no answer (rroller), so the header is always sent. An answer means Dahua-made firmware;
``Vendor``/``Manufacturer`` inside name the label (Lorex, Intelbras, "Private" = none).
"""

from __future__ import annotations

import json
import struct

from scanner.errors import DecodeError
from scanner.parse.dhip import HEADER_LEN, MAGIC, parse_dhip
from scanner.parse.kv import decode_text, normalize_mac
from scanner.protocols.asked import ExchangeProbe, heard_by
from scanner.protocols.field import FieldSpec
from scanner.protocols.lan import Findings
from scanner.protocols.listening import Listening
from scanner.protocols.spec import ProtocolSpec
from scanner.protocols.udp import Datagram, UdpPlan

PORT = 37810
GROUP = "239.255.255.251"
BODY = json.dumps({"method": "DHDiscover.search", "params": {"mac": "", "uni": 1}}).encode()


def search_request() -> bytes:
    """Header (LE u32 32, 'DHIP', 8 zero bytes, u64 length twice) + JSON: 96 bytes."""
    return (
        struct.pack("<I", HEADER_LEN)
        + b"DHIP"
        + bytes(8)
        + struct.pack("<QQ", len(BODY), len(BODY))
        + BODY
    )


PLAN = UdpPlan(PORT, (search_request(),), groups=(GROUP,), broadcast=True)


def json_body(data: bytes) -> str:
    """The JSON text of an answer: after the header, without the trailing ``0a 00``."""
    body = data[HEADER_LEN:] if data.startswith(MAGIC) else data
    start = body.find(b"{")
    if start < 0:
        raise DecodeError("no JSON object in DHIP answer")
    return decode_text(body[start:].rstrip(b"\x00").rstrip())


def read_answer(datagram: Datagram, findings: Findings) -> bool:
    if not datagram.data.startswith(MAGIC) and not datagram.data.lstrip().startswith(b"{"):
        raise DecodeError("not a DHIP datagram")
    reply = parse_dhip(datagram.data)
    if reply.method != "client.notifyDevInfo":
        return False  # another prober's search
    findings.add(datagram.source, PORT, "dhip.reply", json_body(datagram.data))
    findings.add(datagram.source, None, "mac", normalize_mac(reply.mac or ""))
    return True


class DhipProbe(ExchangeProbe):
    def __init__(self) -> None:
        super().__init__("dhip", PLAN, read_answer)


#: The observation fields this protocol emits (gathered by scanner.protocols.registry).
FIELDS = (
    FieldSpec(
        "dhip.reply", table=lambda value: parse_dhip(value).table(), firmware_keys=("Version",)
    ),
)


def is_search(data: bytes) -> bool:
    """Someone's search (the DHIP probe's own is dropped as an echo)."""
    return b'"DHDiscover.search"' in data[:512]


LISTENING = Listening("dhip", PORT, (GROUP,), heard_by("dhip", read_answer, is_search))


PROTOCOL = ProtocolSpec("dhip", "lan", FIELDS, discovery=DhipProbe(), listening=LISTENING)
