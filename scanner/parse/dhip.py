"""Dahua DHIP discovery answers (``client.notifyDevInfo``) from UDP 37810.

Wire format (docs/protocols.md §DHIP; mcw0/DahuaConsole net.py, rroller/dahua discovery.py,
Haicam/Haicam golang/discovery.go): a 32-byte little-endian header
``20 00 00 00 'DHIP' <8 zero bytes> <u32 len> <4 zero bytes> <u32 len> <4 zero bytes>`` then a
UTF-8 JSON object, often followed by ``0a 00``. rroller notes the header length "has varied
across the firmwares", so when the header does not frame the body exactly, the JSON is found
from the first '{' instead. The JSON alone (as a user pastes it) is accepted the same way.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass

from scanner.errors import DecodeError
from scanner.limits import DATAGRAM_MAX
from scanner.parse.kv import Fields, decode_text, flat_table, normalize_mac, parse_port

MAGIC = b"\x20\x00\x00\x00DHIP"
HEADER_LEN = 32
KEYS_MAX = 256
"""Most deviceInfo keys kept (a real answer has about 30)."""
DEPTH_MAX = 4
"""Nested objects flattened this deep (IPv4Address.IPAddress is depth 2)."""


@dataclass(frozen=True, slots=True)
class DhipReply(Fields):
    """One DHIP answer: `params.deviceInfo` flattened into `fields` (keys -> text, nested
    objects dotted: IPv4Address.IPAddress), plus the envelope's mac and method."""

    mac: str | None
    """The envelope's "mac" as sent ('08:ed:ed:87:42:7a')."""
    method: str | None
    """'client.notifyDevInfo' for a discovery answer."""

    def table(self) -> dict[str, str]:
        """The flat table `dhip.reply` fingerprints match on."""
        return flat_table(self.fields, mac=self.mac, method=self.method)

    @property
    def model(self) -> str | None:
        """DeviceType: the model ('IPC-HDW1431T1-S4', 'SS 3530 MF FACE W')."""
        return self.get("DeviceType")

    @property
    def device_class(self) -> str | None:
        """DeviceClass: IPC, NVR, VTO, VTH, BSC ..."""
        return self.get("DeviceClass")

    @property
    def serial(self) -> str | None:
        return self.get("SerialNo")

    @property
    def vendor(self) -> str | None:
        """The label ('Intelbras', 'Lorex'); 'Private' means no brand was set."""
        return self.get("Vendor")

    @property
    def firmware(self) -> str | None:
        return self.get("Version")

    @property
    def ipv4(self) -> str | None:
        return self.get("IPv4Address.IPAddress")

    @property
    def http_port(self) -> int | None:
        return parse_port(self.get("HttpPort"))

    @property
    def normalized_mac(self) -> str | None:
        return None if self.mac is None else normalize_mac(self.mac)


def parse_dhip(data: bytes | str) -> DhipReply:
    """Parse a DHIP datagram (header + JSON) or its JSON body alone."""
    text = decode_text(_body(data) if isinstance(data, bytes) else data, limit=DATAGRAM_MAX)
    start = text.find("{")
    if start < 0:
        raise DecodeError("no JSON object in DHIP answer")
    try:
        document, _ = json.JSONDecoder().raw_decode(text, start)
    except (ValueError, RecursionError) as exc:
        raise DecodeError(f"DHIP JSON broken: {str(exc)[:80]}") from exc
    params = document.get("params") if isinstance(document, dict) else None
    info = params.get("deviceInfo") if isinstance(params, dict) else None
    if not isinstance(info, dict):
        raise DecodeError("DHIP answer has no params.deviceInfo")
    return DhipReply(_flatten(info), _text(document.get("mac")), _text(document.get("method")))


def _body(data: bytes) -> bytes:
    """The JSON part of a datagram: framed by the header when its length field fits."""
    if len(data) > DATAGRAM_MAX:
        return data  # decode_text refuses it
    if data.startswith(MAGIC) and len(data) >= HEADER_LEN:
        (length,) = struct.unpack_from("<I", data, 16)
        body = data[HEADER_LEN:]
        if 0 < length <= len(body) and body[:1] == b"{":
            return body[:length]
        return body
    return data


def _text(value: object) -> str | None:
    return _clean(value) if isinstance(value, str) else None


def _clean(text: str) -> str:
    """JSON may escape lone surrogates (\\ud800); keep values encodable."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _flatten(info: dict[object, object]) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    pending: list[tuple[str, dict[object, object], int]] = [("", info, 1)]
    while pending and len(pairs) < KEYS_MAX:
        prefix, node, depth = pending.pop()
        nested: list[tuple[str, dict[object, object], int]] = []
        for key, value in list(node.items())[:KEYS_MAX]:
            name = f"{prefix}{_clean(str(key))}"
            if isinstance(value, dict):
                if depth < DEPTH_MAX:
                    nested.append((f"{name}.", value, depth + 1))
                continue
            pairs.append((name, _scalar(value)))
        pending.extend(reversed(nested))
    return tuple(pairs[:KEYS_MAX])


def _scalar(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, list):
        return " ".join(_scalar(v) for v in value[:64] if not isinstance(v, dict | list))
    return str(value)
