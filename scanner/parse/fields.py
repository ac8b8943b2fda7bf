"""Structured observation fields -> the flat key tables fingerprints match on.

The recognizer calls `parse_field` for every observation; a fingerprint with ``key = "..."``
matches that key's value. Keys per field (values are text; lists are space-joined):

``sadp.reply``
    every child element of ProbeMatch by tag name: Uuid, Types, DeviceType,
    DeviceDescription, DeviceSN, CommandPort, HttpPort, MAC, IPv4Address, SoftwareVersion,
    DSPVersion, Activated, DetailOEMCode, OEMInfo ...
``dhip.reply``
    keys of params.deviceInfo (DeviceType, DeviceClass, SerialNo, Vendor, Manufacturer,
    Version, Port, ...; nested objects dotted: IPv4Address.IPAddress), plus mac and method.
``onvif.scopes``
    name, hardware, location ('country/china city/tianjin'), mac, type, profile, other
    (scopes outside those categories, whole URI), all (every scope); percent-decoded.
``wsd.probematch``
    Address, Types, XAddrs, Scopes (as sent), MetadataVersion, and the onvif.scopes keys
    prefixed ``scope.`` (scope.name, scope.hardware, ...).
``onvif.device_information``
    Manufacturer, Model, FirmwareVersion, SerialNumber, HardwareId; for a SOAP Fault:
    fault (reason text) and fault_code ('ter:NotAuthorized').
``upnp.description``
    manufacturer, manufacturerURL, modelName, modelNumber, modelDescription, friendlyName,
    serialNumber, UDN, deviceType, presentationURL (root device first).
``ssdp.response``
    status (first line) and every header, name upper-cased (SERVER, ST, NT, USN, LOCATION,
    X-USER-AGENT ...).
``mdns.txt``
    the TXT keys as sent.
``isapi.device_info``
    child elements of DeviceInfo by local name (model, serialNumber, macAddress,
    firmwareVersion, deviceType, manufacturer, OEMCode ...), plus xmlns (namespace URI).
``dahua.magicbox``
    the key=value lines (deviceType, serialNumber, updateSerial, vendor, version ...).
"""

from __future__ import annotations

from collections.abc import Callable

from scanner.errors import DecodeError
from scanner.parse.dhip import parse_dhip
from scanner.parse.isapi import parse_isapi_device_info
from scanner.parse.kv import parse_kv_lines
from scanner.parse.mdns import parse_txt
from scanner.parse.onvif import parse_device_information, parse_scopes
from scanner.parse.sadp import parse_sadp
from scanner.parse.ssdp import parse_ssdp
from scanner.parse.tdp import parse_tdp_table
from scanner.parse.upnp import parse_upnp_description
from scanner.parse.wsd import parse_probematch, probematch_table
from scanner.parse.xm import parse_xm_table

_TABLES: dict[str, Callable[[str], dict[str, str]]] = {
    "sadp.reply": lambda value: parse_sadp(value).table(),
    "dhip.reply": lambda value: parse_dhip(value).table(),
    "onvif.scopes": lambda value: parse_scopes(value).table(),
    "wsd.probematch": probematch_table,
    "onvif.device_information": lambda value: parse_device_information(value).table(),
    "upnp.description": lambda value: parse_upnp_description(value).table(),
    "ssdp.response": lambda value: parse_ssdp(value).table(),
    "mdns.txt": lambda value: parse_txt(value).table(),
    "isapi.device_info": lambda value: parse_isapi_device_info(value).table(),
    "dahua.magicbox": lambda value: parse_kv_lines(value).table(),
    "ubnt.reply": lambda value: parse_kv_lines(value).table(),
    "xm.reply": parse_xm_table,
    "tdp.reply": parse_tdp_table,
}

STRUCTURED_FIELDS: frozenset[str] = frozenset(_TABLES)
"""Fields whose value is parsed into a key table; every other field is matched as raw text."""


def parse_field(field: str, value: str) -> dict[str, str] | None:
    """The flat key table of a structured field's value; None for a raw-text field.

    Raises only DecodeError (the value is broken, hostile, or larger than 64 KiB).
    """
    parser = _TABLES.get(field)
    return None if parser is None else parser(value)


def derived(field: str, value: str) -> list[tuple[str, str]]:
    """Further observations a structured one implies, as (field, value); never raises.

    wsd.probematch -> onvif.scopes (the Scopes text as sent); ssdp.response -> ssdp.server.
    """
    try:
        if field == "wsd.probematch":
            scopes = " ".join(m.scopes_text for m in parse_probematch(value) if m.scopes_text)
            return [("onvif.scopes", scopes)] if scopes else []
        if field == "ssdp.response":
            server = parse_ssdp(value).server
            return [("ssdp.server", server)] if server else []
    except DecodeError:
        return []
    return []
