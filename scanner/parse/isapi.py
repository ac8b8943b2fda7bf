"""Hikvision ISAPI ``GET /ISAPI/System/deviceInfo`` answers.

Format (captures: maciej-or/hikvision_next tests/fixtures, corpus s0181-s0194): a flat
``<DeviceInfo version="2.0" xmlns="...">`` document. The namespace URI is a signal of its own
(``http://www.hikvision.com/ver20/XMLSchema``, ``http://www.isapi.org/ver20/XMLSchema``,
``http://www.std-cgi.com/ver20/XMLSchema``) and is kept under the key ``xmlns``.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.parse.kv import Fields, flat_table
from scanner.parse.xmlsafe import flat_root


@dataclass(frozen=True, slots=True)
class IsapiDeviceInfo(Fields):
    """One deviceInfo document: child elements by local name, and its namespace."""

    namespace: str
    """The DeviceInfo element's namespace URI ('' if it declares none)."""
    complete: bool = True
    """False if the document broke off; `fields` holds what came before the break."""

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
        return self.mac_sent("macAddress")


def parse_isapi_device_info(data: bytes | str) -> IsapiDeviceInfo:
    """Parse a deviceInfo answer; DecodeError if its root is not DeviceInfo."""
    document, fields = flat_root(data, "DeviceInfo", "ISAPI DeviceInfo", article="an")
    return IsapiDeviceInfo(tuple(fields.items()), document.root.namespace, document.complete)
