"""UPnP device descriptions: the XML an SSDP answer's LOCATION points to.

Format: UPnP Device Architecture 1.1 §2.3 — ``<root xmlns="urn:schemas-upnp-org:device-1-0">``
with one root ``<device>`` and, for composite devices, embedded ones under ``deviceList``.
Captures: AXIS M1014 (FantasticFiasco/axis-js) and AXIS P3301 (johnstonskj/rust-upnp), see
tests/fixtures/captures/SOURCES.md. Vendors reuse the schema under their own namespace
(``urn:Belkin:device-1-0``), so elements are matched by local name.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.errors import DecodeError
from scanner.parse.kv import Fields
from scanner.parse.xmlsafe import Element, parse_xml

KEYS = (
    "manufacturer",
    "manufacturerURL",
    "modelName",
    "modelNumber",
    "modelDescription",
    "friendlyName",
    "serialNumber",
    "UDN",
    "deviceType",
    "presentationURL",
)
"""The description elements kept, by their UPnP names (also the `upnp.description` keys)."""
DEVICES_MAX = 16
"""Most devices (root + embedded) read from one description."""


@dataclass(frozen=True, slots=True)
class UpnpDevice(Fields):
    """One <device> element: the KEYS it carries, values as sent."""


@dataclass(frozen=True, slots=True)
class UpnpDescription:
    """A description: the root device first, then embedded devices in document order."""

    devices: tuple[UpnpDevice, ...]
    url_base: str | None = None
    complete: bool = True

    @property
    def root(self) -> UpnpDevice:
        return self.devices[0]

    @property
    def manufacturer(self) -> str | None:
        return self.value("manufacturer")

    @property
    def model_name(self) -> str | None:
        return self.value("modelName")

    @property
    def serial(self) -> str | None:
        return self.value("serialNumber")

    def value(self, key: str) -> str | None:
        """The root device's `key`, else the first embedded device's that has one."""
        return next((v for d in self.devices if (v := d.get(key))), None)

    def table(self) -> dict[str, str]:
        """The flat table `upnp.description` fingerprints match on (root device first)."""
        return {key: value for key in KEYS if (value := self.value(key))}


def parse_upnp_description(data: bytes | str) -> UpnpDescription:
    """Parse a UPnP description; DecodeError if it has no <root><device>."""
    document = parse_xml(data)
    root = document.root
    if root.tag != "root":
        raise DecodeError(f"not a UPnP description (root element {root.tag!r})")
    top = root.child("device")
    if top is None:
        raise DecodeError("UPnP description has no device")
    devices = [_device(element) for element in _devices(top)]
    return UpnpDescription(tuple(devices), root.child_text("URLBase"), document.complete)


def _devices(top: Element) -> list[Element]:
    """The root device, then embedded ones breadth-first, at most DEVICES_MAX."""
    found: list[Element] = []
    queue = [top]
    while queue and len(found) < DEVICES_MAX:
        device = queue.pop(0)
        found.append(device)
        device_list = device.child("deviceList")
        if device_list is not None:
            queue.extend(c for c in device_list.children if c.tag == "device")
    return found


def _device(element: Element) -> UpnpDevice:
    fields = []
    for key in KEYS:
        text = element.child_text(key)
        if text:
            fields.append((key, text))
    return UpnpDevice(tuple(fields))
