"""TP-Link discovery (TDP) over UDP 20002: Tapo cameras, doorbells, hubs and plugs answer.

Wire format (python-kasa kasa/discover.py, _AesDiscoveryQuery; facts, not code): a 16-byte
big-endian header version(1)=2 msg_type(1)=0 op_code(u16)=1 msg_size(u16) flags(1)=17
padding(1)=0 device_serial(u32, random) crc32(u32) followed by the JSON
{"params": {"rsa_key": "<PEM public key>"}}. The CRC is computed over the whole datagram
with 0x5A6B7C8D in the CRC field. The answer carries the same 16-byte header, then JSON whose
result holds device_type (SMART.IPCAMERA, SMART.TAPODOORBELL, SMART.TAPOHUB ...),
device_model, mac, firmware_version and hardware_version in plain text; only the part meant
for the key's owner is encrypted, and camscan never reads it. The key below is camscan's own
throw-away public key: devices want one in the request; its private half does not exist.
The ``tdp.reply`` observation is the answer's JSON.
"""

from __future__ import annotations

import binascii
import json
import secrets
import struct

from scanner.errors import DecodeError
from scanner.parse.kv import decode_text, json_section, load_json
from scanner.parse.tdp import parse_tdp_table
from scanner.protocols.asked import ExchangeProbe, heard_by, json_reader
from scanner.protocols.field import FieldSpec
from scanner.protocols.listening import Listening
from scanner.protocols.spec import ProtocolSpec
from scanner.protocols.udp import UdpPlan

PORT = 20002
HEADER = struct.Struct(">BBHHBBII")
INITIAL_CRC = 0x5A6B7C8D
PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDV2pNG/W5Ex11Frce3oxLzGVKa
3ayR24AHPC4XTfKD8Gjk5NcRC88SF8y2T+Qv2dhIfSMXvl8wUspMuepZUrKt+U23
aHtqYgiYhMR//WXQlKIQHsDXbJbpZDpUWGrd7rczMueZBqEeDiFSWWZS+RcRih1j
vDdAicc3rBl9sdwkfwIDAQAB
-----END PUBLIC KEY-----
"""


def request(serial: int | None = None) -> bytes:
    """One discovery request datagram."""
    body = json.dumps({"params": {"rsa_key": PUBLIC_KEY}}, separators=(",", ":")).encode()
    device_serial = secrets.randbits(32) if serial is None else serial
    head = HEADER.pack(2, 0, 1, len(body), 17, 0, device_serial, INITIAL_CRC)
    datagram = bytearray(head + body)
    datagram[12:16] = binascii.crc32(datagram).to_bytes(4, "big")
    return bytes(datagram)


PLAN = UdpPlan(PORT, (request(),), broadcast=True)


def answer_json(data: bytes) -> tuple[str, dict[str, object]]:
    """(JSON text, its ``result`` object) of an answer; DecodeError when it is none."""
    if len(data) < HEADER.size or data[0] != 2:
        raise DecodeError("not a TP-Link discovery datagram")
    text = decode_text(data[HEADER.size :]).strip("\x00 \r\n")
    document = load_json(text, "TP-Link discovery")
    if not isinstance(document, dict):
        raise DecodeError("TP-Link discovery answer is not a JSON object")
    if "params" in document and "result" not in document:
        raise DecodeError("a discovery request, not an answer")
    result = json_section(document, "result")
    if result is None:
        raise DecodeError("TP-Link discovery answer has no result")
    return text, result


read_answer = json_reader(PORT, "tdp.reply", answer_json, "mac")


class TdpProbe(ExchangeProbe):
    def __init__(self) -> None:
        super().__init__("tdp", PLAN, read_answer)


#: The observation fields this protocol emits (gathered by scanner.protocols.registry).
FIELDS = (FieldSpec("tdp.reply", table=parse_tdp_table),)


def is_request(data: bytes) -> bool:
    """Someone's discovery request (heard passively: ignored, not an error)."""
    body = data[16:]
    return b'"params"' in body[:256] and b'"result"' not in body


LISTENING = Listening("tdp", PORT, (), heard_by("tdp", read_answer, is_request))


PROTOCOL = ProtocolSpec("tdp", "lan", FIELDS, discovery=TdpProbe(), listening=LISTENING)
