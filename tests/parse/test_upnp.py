"""UPnP device descriptions: real Axis captures, embedded devices, damaged twins."""

from __future__ import annotations

import pytest

from scanner.errors import DecodeError
from scanner.parse.upnp import parse_upnp_description

from .structured_captures import capture, truncated

M1014 = capture("axis-m1014-unknown.upnp.xml")
P3301 = capture("axis-p3301-unknown.upnp.xml")


def test_axis_p3301_description_with_service_namespace() -> None:
    """The P3301 description (service in its own namespace) parses; URLBase is kept."""
    description = parse_upnp_description(P3301)
    assert description.model_name == "AXIS P3301"
    assert description.serial == "00408CA45086"
    assert description.url_base == "http://10.59.104.28:49152/"
    assert description.complete


def test_root_device_comes_before_embedded_devices() -> None:
    """With an embedded device, root values win and only gaps are filled from the embedded one."""
    text = M1014.decode()
    embedded = P3301.decode()
    embedded = embedded[embedded.index("<device>") : embedded.index("</device>") + 9]
    root_only_name = text.replace("<serialNumber>ACCC8E270AD8</serialNumber>", "")
    composite = root_only_name.replace(
        "</serviceList>", f"</serviceList><deviceList>{embedded}</deviceList>", 1
    )
    description = parse_upnp_description(composite)
    assert len(description.devices) == 2
    table = description.table()
    assert table["modelName"] == "AXIS M1014"
    assert table["serialNumber"] == "00408CA45086"


def test_truncated_description_gives_partial_data() -> None:
    """A cut description keeps the device fields read before the cut."""
    description = parse_upnp_description(truncated(M1014))
    assert not description.complete
    assert description.manufacturer == "AXIS"
    assert "presentationURL" not in description.table()


def test_other_xml_is_not_a_description() -> None:
    """An XML answer that is not <root><device> is a DecodeError."""
    with pytest.raises(DecodeError, match="not a UPnP description"):
        parse_upnp_description(capture("hikvision-ds-2cd2385g1-i-v5.6.2.sadp.xml"))
    with pytest.raises(DecodeError, match="no device"):
        parse_upnp_description(
            b'<root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion/></root>'
        )
