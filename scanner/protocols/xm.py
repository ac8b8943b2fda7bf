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

import struct

from scanner.errors import DecodeError
from scanner.parse.kv import decode_text, json_section, load_json
from scanner.parse.xm import parse_xm_table
from scanner.protocols.asked import ExchangeProbe, heard_by, json_reader
from scanner.protocols.field import FieldSpec
from scanner.protocols.listening import Listening
from scanner.protocols.spec import ProtocolSpec
from scanner.protocols.udp import UdpPlan

PORT = 34569
SEARCH, ANSWER = 1530, 1531
HEADER = struct.Struct("<BBHIIHHI")  # head, version, reserved, session, seq, total+cur, msg, len


def search_request() -> bytes:
    return HEADER.pack(0xFF, 0, 0, 0, 0, 0, SEARCH, 0)


PLAN = UdpPlan(PORT, (search_request(),), broadcast=True, bind_port=PORT)


def json_body(data: bytes) -> tuple[str, dict[str, object]]:
    """(JSON text, its NetWork.NetCommon object) of an answer; DecodeError if it is not a
    search answer."""
    if len(data) < HEADER.size or data[0] != 0xFF:
        raise DecodeError("not a Xiongmai datagram")
    *_, message, length = HEADER.unpack_from(data)
    if message != ANSWER:
        raise DecodeError(f"Xiongmai message {message}, not a search answer")
    raw = data[HEADER.size : HEADER.size + length].rstrip(b"\x00").rstrip()
    text = decode_text(raw)
    common = json_section(load_json(text, "Xiongmai"), "NetWork.NetCommon")
    if common is None:
        raise DecodeError("Xiongmai answer has no NetWork.NetCommon")
    return text, common


def search_answer(data: bytes) -> tuple[str, dict[str, object]] | None:
    """json_body of an answer; None for another prober's search on the broadcast port."""
    if data[:1] == b"\xff" and len(data) >= HEADER.size and HEADER.unpack_from(data)[6] == SEARCH:
        return None
    return json_body(data)


read_answer = json_reader(PORT, "xm.reply", search_answer, "MAC")


class XmProbe(ExchangeProbe):
    def __init__(self) -> None:
        super().__init__("xm", PLAN, read_answer)


#: The observation fields this protocol emits (gathered by scanner.protocols.registry).
FIELDS = (FieldSpec("xm.reply", table=parse_xm_table),)


#: Answers to anyone's search are read (Xiongmai devices answer by broadcast).
LISTENING = Listening("xm", PORT, (), heard_by("xm", read_answer))


PROTOCOL = ProtocolSpec("xm", "lan", FIELDS, discovery=XmProbe(), listening=LISTENING)
