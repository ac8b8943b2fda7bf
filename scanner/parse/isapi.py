"""Hikvision ISAPI ``GET /ISAPI/System/deviceInfo`` answers.

Format (captures: maciej-or/hikvision_next tests/fixtures, corpus s0181-s0194): a flat
``<DeviceInfo version="2.0" xmlns="...">`` document. The namespace URI is a signal of its own
(``http://www.hikvision.com/ver20/XMLSchema``, ``http://www.isapi.org/ver20/XMLSchema``,
``http://www.std-cgi.com/ver20/XMLSchema``) and is kept under the key ``xmlns``.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.errors import DecodeError
from scanner.parse.kv import first_value, flat_table, normalize_mac
from scanner.parse.xmlsafe import flat_children, parse_xml


@dataclass(frozen=True, slots=True)
class IsapiDeviceInfo:
    """One deviceInfo document: child elements by local name, and its namespace."""

    fields: tuple[tuple[str, str], ...]
    namespace: str
    """The DeviceInfo element's namespace URI ('' if it declares none)."""
    complete: bool = True
    """False if the document broke off; `fields` holds what came before the break."""

    def get(self, key: str) -> str | None:
        return first_value(self.fields, key)

    def table(self) -> dict[str, str]:
        """The flat table `isapi.device_info` fingerprints match on."""
        return flat_table(self.fields, xmlns=self.namespace or None)

    @property
    def model(self) -> str | None:
        return self.get("model")

    @property
    def serial(self) -> str | None:
        return self.get("serialNumber")

    @property
    def firmware(self) -> str | None:
        return self.get("firmwareVersion")

    @property
    def device_type(self) -> str | None:
        """IPCamera, NVR, DVR, VIS ..."""
        return self.get("deviceType")

    @property
    def manufacturer(self) -> str | None:
        return self.get("manufacturer")

    @property
    def mac(self) -> str | None:
        raw = self.get("macAddress")
        return None if raw is None else normalize_mac(raw)


def parse_isapi_device_info(data: bytes | str) -> IsapiDeviceInfo:
    """Parse a deviceInfo answer; DecodeError if its root is not DeviceInfo."""
    document = parse_xml(data)
    root = document.root
    if root.tag != "DeviceInfo":
        raise DecodeError(f"not an ISAPI DeviceInfo (root element {root.tag!r})")
    fields = flat_children(root)
    if not fields:
        raise DecodeError("ISAPI DeviceInfo is empty")
    return IsapiDeviceInfo(tuple(fields.items()), root.namespace, document.complete)
