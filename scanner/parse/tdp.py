"""TP-Link discovery (UDP 20002) answer JSON -> a flat key table of its ``result``.

Keys as the device sends them: device_type (SMART.IPCAMERA, SMART.TAPODOORBELL,
SMART.TAPOHUB, ...), device_model, mac, firmware_version, hardware_version, ip, plus
``decrypted_data.*`` when a recorded answer carries it. Nested objects are flattened with dots.
"""

from __future__ import annotations

from scanner import limits
from scanner.errors import DecodeError
from scanner.parse.kv import json_section, load_json

KEYS_MAX = 128


def parse_tdp_table(value: str) -> dict[str, str]:
    """The flat table of a TDP answer's result; DecodeError when it is not one."""
    if len(value) > limits.XML_MAX:
        raise DecodeError("answer larger than 64 KiB")
    start = value.find("{")
    document = load_json(value[start:] if start >= 0 else value, "TP-Link discovery")
    result = json_section(document, "result")
    if result is None:
        raise DecodeError("TP-Link discovery answer has no result object")
    table: dict[str, str] = {}
    _flatten(result, "", table)
    return table


def _flatten(node: dict[str, object], prefix: str, table: dict[str, str]) -> None:
    for key, item in node.items():
        if len(table) >= KEYS_MAX:
            return
        name = f"{prefix}{key}"[:64]
        if isinstance(item, dict):
            if not prefix:  # one level is enough: decrypted_data.*, encrypt_info.*
                _flatten(item, f"{name}.", table)
        elif isinstance(item, list):
            table[name] = " ".join(str(x) for x in item[:16])[: limits.HEADER_VALUE_MAX]
        elif item is not None:
            table[name] = str(item)[: limits.HEADER_VALUE_MAX]
