"""ONVIF GetDeviceInformation answers (the scopes a device announces are WS-Discovery's:
scanner.parse.wsd).

GetDeviceInformation usually needs credentials (agsh/onvif#184): the SOAP Fault a device sends
instead is a result, not an error, and is recorded under ``fault``.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.errors import DecodeError
from scanner.parse.kv import Fields, flat_table
from scanner.parse.xmlsafe import Element, flat_children, parse_xml


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
