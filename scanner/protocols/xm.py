"""Xiongmai (XMEye / "Sofia" NetSurveillance) search over UDP 34569.

Wire format: a 20-byte little-endian header ``ff 00 00 00 | session u32 | sequence u32 |
00 00 | message id u16 | length u32`` then JSON (OpenIPC/python-dvr DeviceManager.py
``SearchXM``; docs/protocols.md §XM). The search is message 1530 (0x05fa) with no body, sent to
broadcast port 34569 from port 34569; the answer is message 1531 (0x05fb) whose JSON holds
``NetWork.NetCommon`` (HostIP as little-endian hex, MAC, SN, Version, BuildDate, TCPPort
34567 ...; real answers in a Go ``sofia`` package and sol-vin/xet comments). Devices may
answer by broadcast to port 34569, so the socket binds that port when it can. XM units carry
other companies' OUIs (00:12:31, 00:12:16): the answer itself is the signal.
"""

from __future__ import annotations

import json
import struct
from typing import TYPE_CHECKING

from scanner.errors import DecodeError
from scanner.parse.kv import decode_text
from scanner.parse.xm import parse_xm_table
from scanner.protocols.field import FieldSpec
from scanner.protocols.lan import DiscoveryContext, DiscoveryResult, Findings
from scanner.protocols.listening import Listening, Memory
from scanner.protocols.spec import ProtocolSpec
from scanner.protocols.udp import Datagram, UdpPlan, exchange, judge, record_json

if TYPE_CHECKING:
    from scanner.passive.heard import Heard

PORT = 34569
SEARCH, ANSWER = 1530, 1531
HEADER = struct.Struct("<BBHIIHHI")  # head, version, reserved, session, seq, total+cur, msg, len


def search_request() -> bytes:
    return HEADER.pack(0xFF, 0, 0, 0, 0, 0, SEARCH, 0)


PLAN = UdpPlan(PORT, (search_request(),), broadcast=True, bind_port=PORT)


def json_body(data: bytes) -> tuple[str, dict[str, object]]:
    """(JSON text, object) of an answer; DecodeError if it is not a search answer."""
    if len(data) < HEADER.size or data[0] != 0xFF:
        raise DecodeError("not a Xiongmai datagram")
    *_, message, length = HEADER.unpack_from(data)
    if message != ANSWER:
        raise DecodeError(f"Xiongmai message {message}, not a search answer")
    raw = data[HEADER.size : HEADER.size + length].rstrip(b"\x00").rstrip()
    text = decode_text(raw)
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise DecodeError(f"Xiongmai JSON broken: {str(exc)[:80]}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("NetWork.NetCommon"), dict):
        raise DecodeError("Xiongmai answer has no NetWork.NetCommon")
    return text, document


def read_answer(datagram: Datagram, findings: Findings) -> bool:
    data = datagram.data
    if data[:1] == b"\xff" and len(data) >= HEADER.size and HEADER.unpack_from(data)[6] == SEARCH:
        return False  # another prober's search on the broadcast port
    text, document = json_body(datagram.data)
    answer = (PORT, "xm.reply", text)
    return record_json(findings, datagram.source, answer, document["NetWork.NetCommon"], "MAC")


class XmProbe:
    name = "xm"

    async def discover(self, ctx: DiscoveryContext) -> DiscoveryResult:
        return judge(self.name, await exchange(ctx, PLAN), read_answer)


#: The observation fields this protocol emits (gathered by scanner.protocols.registry).
FIELDS = (FieldSpec("xm.reply", table=parse_xm_table),)


def hear(heard: Heard, memory: Memory, datagram: Datagram) -> bool:
    """Answers to anyone's search (Xiongmai devices answer by broadcast)."""
    return read_answer(datagram, heard.findings_for("xm"))


LISTENING = Listening("xm", PORT, (), hear)


PROTOCOL = ProtocolSpec("xm", "lan", FIELDS, discovery=XmProbe(), listening=LISTENING)
