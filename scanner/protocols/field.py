"""What a protocol declares about each observation field it emits (issue 11).

The registry (scanner.protocols.registry) gathers every protocol's ``FIELDS`` into the
closed vocabulary of observation fields, the key tables fingerprints match on, the further
observations one implies, and where risk findings read firmware. Adding a field is one
FieldSpec in its protocol's module.

The tables' keys per field (values are text; lists are space-joined):

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
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldSpec:
    """One observation field (``sadp.reply``) and how the rooms above read it."""

    name: str
    table: Callable[[str], dict[str, str]] | None = None
    """The flat key table fingerprints match (``key = "..."``); raises only DecodeError.
    None: the value is matched as raw text."""
    derive: Callable[[str], list[tuple[str, str]]] | None = None
    """Further observations the value implies, as (field, value); raises only DecodeError."""
    firmware_keys: tuple[str, ...] = ()
    """Keys of the table that hold the firmware: version first, then its build date."""
