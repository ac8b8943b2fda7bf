"""Xiongmai (XMEye / "Sofia") UDP 34569 search answer: the JSON body -> a flat key table.

The answer's JSON holds one object, ``NetWork.NetCommon`` (HostName, HostIP as little-endian
hex, MAC, SN, TCPPort 34567, HttpPort, Version, BuildDate, DeviceType ...); docs/protocols.md §XM.
"""

from __future__ import annotations

import json

from scanner import limits
from scanner.errors import DecodeError
from scanner.parse.kv import decode_text


def parse_xm_table(value: bytes | str) -> dict[str, str]:
    """Keys of NetWork.NetCommon (values as text) plus "Name"; DecodeError otherwise."""
    text = decode_text(value) if isinstance(value, bytes) else value
    if len(text) > limits.XML_MAX:
        raise DecodeError("answer larger than 64 KiB")
    start = text.find("{")
    if start < 0:
        raise DecodeError("no JSON object in the Xiongmai answer")
    try:
        document = json.loads(text[start:].rstrip("\x00 \r\n\t"))
    except (ValueError, RecursionError) as exc:
        raise DecodeError(f"Xiongmai JSON broken: {str(exc)[:80]}") from exc
    common = document.get("NetWork.NetCommon") if isinstance(document, dict) else None
    if not isinstance(common, dict):
        raise DecodeError("Xiongmai answer has no NetWork.NetCommon")
    table = {
        str(key)[:64]: str(item)[: limits.HEADER_VALUE_MAX]
        for key, item in list(common.items())[:128]
        if not isinstance(item, dict | list)
    }
    table["Name"] = "NetWork.NetCommon"
    return table
