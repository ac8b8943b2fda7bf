"""Xiongmai (XMEye / "Sofia") UDP 34569 search answer: the JSON body -> a flat key table.

The answer's JSON holds one object, ``NetWork.NetCommon`` (HostName, HostIP as little-endian
hex, MAC, SN, TCPPort 34567, HttpPort, Version, BuildDate, DeviceType ...); docs/protocols.md §XM.
"""

from __future__ import annotations

from scanner import limits
from scanner.errors import DecodeError
from scanner.parse.kv import decode_text, json_section, load_json


def parse_xm_table(value: bytes | str) -> dict[str, str]:
    """Keys of NetWork.NetCommon (values as text) plus "Name"; DecodeError otherwise."""
    text = decode_text(value) if isinstance(value, bytes) else value
    if len(text) > limits.XML_MAX:
        raise DecodeError("answer larger than 64 KiB")
    start = text.find("{")
    if start < 0:
        raise DecodeError("no JSON object in the Xiongmai answer")
    document = load_json(text[start:].rstrip("\x00 \r\n\t"), "Xiongmai")
    common = json_section(document, "NetWork.NetCommon")
    if common is None:
        raise DecodeError("Xiongmai answer has no NetWork.NetCommon")
    table = {
        str(key)[:64]: str(item)[: limits.HEADER_VALUE_MAX]
        for key, item in list(common.items())[:128]
        if not isinstance(item, dict | list)
    }
    table["Name"] = "NetWork.NetCommon"
    return table
