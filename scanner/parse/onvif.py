"""ONVIF scope lists and GetDeviceInformation answers.

Scopes (ONVIF Core spec §7.3.2.2; captures in tests/fixtures/captures/*.scopes.txt, SOURCES.md):
space-separated URIs, percent-encoded, mostly ``onvif://www.onvif.org/<category>/<value>``.
The standard categories become keys (name, hardware, location, MAC, type, Profile); every
other scope (vendor trees such as ``onvif://www.onvif.org/avigilon/...``, ``dvtel://...``)
is kept under ``other`` so fingerprints can still see it.

GetDeviceInformation usually needs credentials (agsh/onvif#184): the SOAP Fault a device sends
instead is a result, not an error, and is recorded under ``fault``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from scanner.errors import DecodeError
from scanner.limits import SCOPES_MAX
from scanner.parse.kv import Fields, decode_text, flat_table
from scanner.parse.xmlsafe import Element, flat_children, parse_xml

ONVIF_PREFIX = "onvif://www.onvif.org/"
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
# category as written (any case) -> table key
_CATEGORIES = {
    "name": "name",
    "hardware": "hardware",
    "location": "location",
    "mac": "mac",
    "type": "type",
    "profile": "profile",
}


@dataclass(frozen=True, slots=True)
class Scopes:
    """One device's scope list, percent-decoded, sorted by category."""

    all: tuple[str, ...]
    """Every scope URI, decoded, in the order sent (at most SCOPES_MAX)."""
    name: tuple[str, ...] = ()
    hardware: tuple[str, ...] = ()
    location: tuple[str, ...] = ()
    """The path after location/ ('country/china', 'city/hangzhou')."""
    mac: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    profile: tuple[str, ...] = ()
    other: tuple[str, ...] = ()
    """Whole URIs outside the categories above (vendor scopes, other schemes)."""

    def table(self) -> dict[str, str]:
        """The flat table `onvif.scopes` fingerprints match on (empty categories omitted)."""
        table = {
            key: " ".join(values)
            for key in (*_CATEGORIES.values(), "other")
            if (values := getattr(self, key))
        }
        table["all"] = " ".join(self.all)
        return table


def parse_scopes(data: bytes | str) -> Scopes:
    """Parse a space-separated scope list; DecodeError if it holds no URI at all.

    Tokens that are not URIs (a stray backslash, 'xaddrs:') are ignored.
    """
    tokens = [t for t in decode_text(data).split() if _URI.fullmatch(t)][:SCOPES_MAX]
    if not tokens:
        raise DecodeError("no scope URIs")
    decoded = tuple(unquote(t, errors="replace") for t in tokens)
    buckets: dict[str, list[str]] = {key: [] for key in (*_CATEGORIES.values(), "other")}
    for scope in decoded:
        key, value = _categorise(scope)
        if value and value not in buckets[key]:
            buckets[key].append(value)
    return Scopes(all=decoded, **{key: tuple(values) for key, values in buckets.items()})


def _categorise(scope: str) -> tuple[str, str]:
    """'onvif://www.onvif.org/name/Dahua' -> ('name', 'Dahua'); unknown -> ('other', scope)."""
    if scope[: len(ONVIF_PREFIX)].lower() == ONVIF_PREFIX:
        category, _, value = scope[len(ONVIF_PREFIX) :].partition("/")
        key = _CATEGORIES.get(category.lower())
        if key is not None:
            return key, value.strip()
    return "other", scope


@dataclass(frozen=True, slots=True)
class DeviceInformation(Fields):
    """A GetDeviceInformationResponse, or the Fault sent instead: its `fields` are
    Manufacturer, Model, FirmwareVersion, SerialNumber, HardwareId (as sent)."""

    fault: str | None = None
    """The Fault's reason text ('Sender not Authorized'), None for a real answer."""
    fault_code: str | None = None
    """The Fault's most specific code ('ter:NotAuthorized')."""
    complete: bool = True

    def table(self) -> dict[str, str]:
        """The flat table `onvif.device_information` fingerprints match on."""
        return flat_table(self.fields, fault=self.fault, fault_code=self.fault_code)

    @property
    def manufacturer(self) -> str | None:
        return self.get("Manufacturer")

    @property
    def model(self) -> str | None:
        return self.get("Model")

    @property
    def firmware(self) -> str | None:
        return self.get("FirmwareVersion")

    @property
    def serial(self) -> str | None:
        return self.get("SerialNumber")


def parse_device_information(data: bytes | str) -> DeviceInformation:
    """Parse a GetDeviceInformation answer (envelope or body fragment) or its SOAP Fault."""
    document = parse_xml(data)
    response = document.root.find("GetDeviceInformationResponse")
    if response is not None:
        fields = flat_children(response)
        if not fields:
            raise DecodeError("GetDeviceInformationResponse is empty")
        return DeviceInformation(tuple(fields.items()), complete=document.complete)
    fault = document.root.find("Fault")
    if fault is None:
        raise DecodeError("no GetDeviceInformationResponse or Fault")
    reason, code = _fault_reason(fault), _fault_code(fault)
    return DeviceInformation((), reason or code or "fault", code, document.complete)


def _fault_reason(fault: Element) -> str:
    """SOAP 1.2 Reason/Text, or SOAP 1.1 faultstring; whitespace folded."""
    reason = fault.child("Reason")
    if reason is not None:
        text = reason.child_text("Text") or reason.text
    else:
        text = fault.child_text("faultstring") or ""
    return " ".join(text.split())


def _fault_code(fault: Element) -> str | None:
    """The innermost Subcode/Value (SOAP 1.2), else Code/Value, else faultcode (SOAP 1.1)."""
    code_element = fault.child("Code")
    values = [v.text for v in code_element.find_all("Value") if v.text] if code_element else []
    if values:
        return " ".join(values[-1].split())
    code = fault.child_text("faultcode")
    return " ".join(code.split()) if code else None
