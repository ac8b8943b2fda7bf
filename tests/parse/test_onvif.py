"""ONVIF scope lists and GetDeviceInformation answers (including the Fault a device sends)."""

from __future__ import annotations

import pytest

from scanner.errors import DecodeError
from scanner.limits import SCOPES_MAX
from scanner.parse.onvif import parse_device_information
from scanner.parse.wsd import parse_scopes

from .structured_captures import capture, truncated

FLIR = capture("flir-cm-6204-11-i-fs20160805nsz.scopes.txt")
AVIGILON = capture("avigilon-2.0-h3m-do1-2.6.0.150.scopes.txt")
TIANDY = capture("tiandy-tc-c32ts-app_v3.3.0.20200606.scopes.txt")
AMCREST_SCOPES = capture("amcrest-ip2m-8200-unknown.scopes.txt")
PANASONIC = capture("panasonic-wv-v1330lk-unknown.scopes.txt")
AMCREST_INFO = capture("amcrest-ip5m-t1277ew-ai-v2.800.00ac003.0.r.devinfo.xml")
FAULT = capture("unknown-unknown-unknown.onvif-fault.xml")


def test_flir_scopes_decode_and_sort() -> None:
    """FLIR: percent-decoded name, deduplicated location, vendor schemes under other."""
    scopes = parse_scopes(FLIR)
    table = scopes.table()
    assert table["name"] == "FLIR CM-6204-11-I K816600858"
    assert table["hardware"] == "CM-6204-11-I"
    assert table["location"] == "country/America"
    assert table["type"] == "video_encoder audio_encoder"
    assert table["profile"] == "Streaming G"
    assert "dvtel://www.dvtel.com/quasar/gen2/quadhd" in table["other"]
    assert "onvif://www.onvif.org/manufacturer/FLIR Systems" in table["other"]
    assert len(scopes.all) == 16
    assert table["all"] == " ".join(scopes.all)


def test_avigilon_vendor_scopes_and_utf8_percent_encoding() -> None:
    """Avigilon: its onvif.org/avigilon/ tree lands in other; %e1%ba%a5 decodes to 'ấ'."""
    table = parse_scopes(AVIGILON).table()
    assert table["hardware"] == "2.0-H3M-DO1"
    assert "onvif://www.onvif.org/avigilon/mac/00-18-85-14-3e-0a" in table["other"]
    assert table["name"] == "acc/Xu\u1ea5t c\u1ea3nh 4"
    assert "mac" not in table


def test_tiandy_encoded_slashes_and_empty_mac() -> None:
    """Tiandy: %2F inside the model stays in the value; a bare 'mac' scope gives no mac key."""
    table = parse_scopes(TIANDY).table()
    assert table["hardware"] == "TC-C32TS SPEC:I8/A/E/Y/M/H/2.7-13.5mm"
    assert table["location"] == "country/china city/tianjin"
    assert "mac" not in table


def test_dahua_template_on_oem_units() -> None:
    """Amcrest and Panasonic scopes: name, hardware, and the extension scope under other."""
    amcrest = parse_scopes(AMCREST_SCOPES).table()
    assert (amcrest["name"], amcrest["hardware"]) == ("Amcrest", "IP2M-8200")
    assert amcrest["type"] == "Network_Video_Transmitter"
    assert parse_scopes(PANASONIC).table()["location"] == "office"


def test_scope_count_is_capped() -> None:
    """At most SCOPES_MAX scopes are kept from a flood."""
    flood = " ".join(f"onvif://www.onvif.org/name/n{i}" for i in range(SCOPES_MAX * 3))
    assert len(parse_scopes(flood).all) == SCOPES_MAX


def test_non_uri_tokens_are_ignored() -> None:
    """Stray tokens (a backslash, 'xaddrs:') are not scopes; none at all is an error."""
    assert parse_scopes("\\ onvif://www.onvif.org/name/X xaddrs:").all == (
        "onvif://www.onvif.org/name/X",
    )
    with pytest.raises(DecodeError, match="no scope URIs"):
        parse_scopes("\\ xaddrs: 1")


def test_scopes_truncated() -> None:
    """A cut scope list keeps the scopes before the cut (oversized: test_parsers_total.py)."""
    assert parse_scopes(truncated(FLIR)).table()["hardware"] == "CM-6204-11-I"


def test_amcrest_device_information() -> None:
    """The Amcrest GetDeviceInformationResponse (undeclared tds: prefix) gives all five keys."""
    info = parse_device_information(AMCREST_INFO)
    assert info.table() == {
        "Manufacturer": "Amcrest",
        "Model": "IP5M-T1277EW-AI",
        "FirmwareVersion": "V2.800.00AC003.0.R",
        "SerialNumber": "AMC094B09882D5F152",
        "HardwareId": "1.00",
    }
    assert info.fault is None


def test_fault_is_recorded_not_raised() -> None:
    """A NotAuthorized Fault becomes the keys fault and fault_code, not an exception."""
    info = parse_device_information(FAULT)
    assert (
        info.fault
        == "Sender not Authorized. Invalid username or password! You still have 24 attempt(s)."
    )
    assert info.fault_code == "ter:NotAuthorized"
    assert info.manufacturer is None
    assert set(info.table()) == {"fault", "fault_code"}


def test_soap11_fault() -> None:
    """A SOAP 1.1 Fault (faultcode/faultstring) is recorded the same way."""
    body = (
        b'<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
        b"<SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>SOAP-ENV:Client</faultcode>"
        b"<faultstring>Sender not authorized</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body>"
        b"</SOAP-ENV:Envelope>"
    )
    info = parse_device_information(body)
    assert (info.fault, info.fault_code) == ("Sender not authorized", "SOAP-ENV:Client")


def test_device_information_truncated() -> None:
    """A cut answer keeps the complete fields (oversized: test_parsers_total.py)."""
    info = parse_device_information(truncated(AMCREST_INFO))
    assert info.manufacturer == "Amcrest" and not info.complete
