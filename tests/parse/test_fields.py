"""The recognizer's entry point: parse_field, STRUCTURED_FIELDS and derived."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.errors import DecodeError
from scanner.protocols.registry import FIELDS, STRUCTURED_FIELDS, derived, parse_field

from .structured_captures import HOSTILE_XML, capture

#: One real capture per structured field, and one key its table must carry.
EXAMPLES = {
    "sadp.reply": (
        "hikvision-ds-2cd2385g1-i-v5.6.2.sadp.xml",
        "DeviceDescription",
        "DS-2CD2385G1-I",
    ),
    "dhip.reply": (
        "dahua-ipc-hdw1431t1-s4-2.800.0000000.13.r.dhip.json",
        "DeviceType",
        "IPC-HDW1431T1-S4",
    ),
    "onvif.scopes": ("avigilon-2.0-h3m-do1-2.6.0.150.scopes.txt", "hardware", "2.0-H3M-DO1"),
    "wsd.probematch": ("dahua-ipc-hfw2228m-i1-v2-unknown.wsd.xml", "scope.name", "Dahua"),
    "onvif.device_information": (
        "amcrest-ip5m-t1277ew-ai-v2.800.00ac003.0.r.devinfo.xml",
        "Manufacturer",
        "Amcrest",
    ),
    "upnp.description": ("axis-m1014-unknown.upnp.xml", "modelNumber", "M1014"),
    "ssdp.response": ("axis-m1014-unknown.ssdp.txt", "ST", "urn:axis-com:service:BasicService:1"),
    "mdns.txt": ("synology-ds218plus-6.2-25556.mdns.txt", "model", "DS218+"),
    "isapi.device_info": (
        "hikvision-ds-2cd2386g2-iu-v5.7.18.isapi.xml",
        "model",
        "DS-2CD2386G2-IU",
    ),
    "dahua.magicbox": ("amcrest-ad410-unknown.magicbox.txt", "updateSerial", "DB6I"),
    "ubnt.reply": ("ubiquiti-uvc-g4-pro-4.46.18.67.ubnt.txt", "platform", "UVC G4 Pro"),
    "xm.reply": ("xiongmai-ipc-6a6b-v4.02.r12.xm.json", "HostName", "IPC_6a6b"),
    "tdp.reply": ("tplink-tapo-c210-1.3.11.tdp.json", "device_type", "SMART.IPCAMERA"),
}


def test_structured_fields_are_known_fields() -> None:
    """Every structured field is in the closed vocabulary, and each has a capture here."""
    assert set(FIELDS) >= STRUCTURED_FIELDS
    assert set(EXAMPLES) == STRUCTURED_FIELDS


@pytest.mark.parametrize("field", sorted(EXAMPLES))
def test_each_structured_field_parses_its_capture(field: str) -> None:
    """parse_field gives a flat str -> str table with the expected key for a real capture."""
    name, key, value = EXAMPLES[field]
    table = parse_field(field, capture(name).decode())
    assert table is not None
    assert table[key] == value
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in table.items())


@pytest.mark.parametrize("field", sorted(set(FIELDS) - STRUCTURED_FIELDS))
def test_raw_text_fields_give_none(field: str) -> None:
    """Raw-text fields (http.server, rtsp.server, mac ...) have no table."""
    assert parse_field(field, "App-webs/") is None


@pytest.mark.parametrize("field", sorted(f for f in STRUCTURED_FIELDS if f not in ("mdns.txt",)))
def test_garbage_raises_decode_error_only(field: str) -> None:
    """Text that is no such document raises DecodeError (the recognizer's only catch)."""
    with pytest.raises(DecodeError):
        parse_field(field, "\x00\x01 nothing structured here")


@pytest.mark.parametrize("field", sorted(f for f in STRUCTURED_FIELDS if "xml" in EXAMPLES[f][0]))
@pytest.mark.parametrize("document", HOSTILE_XML, ids=["billion-laughs", "xxe", "external-dtd"])
def test_xml_fields_refuse_entities(field: str, document: bytes) -> None:
    """Every XML-valued field refuses entity and DTD tricks."""
    with pytest.raises(DecodeError, match="XML entity refused"):
        parse_field(field, document.decode())


def test_probematch_implies_scopes_as_sent() -> None:
    """wsd.probematch -> onvif.scopes with the percent-encoding kept."""
    value = capture("hikvision-ds-2cd2385g1-i-v5.6.2.wsd.xml").decode()
    [(field, scopes)] = derived("wsd.probematch", value)
    assert field == "onvif.scopes"
    assert "onvif://www.onvif.org/name/HIKVISION%20DS-2CD2385G1-I" in scopes.split()
    assert parse_field("onvif.scopes", scopes) is not None


def test_ssdp_implies_server() -> None:
    """ssdp.response -> ssdp.server with the SERVER header."""
    value = capture("axis-m1014-unknown.ssdp.txt").decode()
    assert derived("ssdp.response", value) == [
        ("ssdp.server", "Linux/2.6.35, UPnP/1.0, Portable SDK for UPnP devices/1.6.18")
    ]


def test_other_fields_imply_nothing() -> None:
    """upnp.description and raw fields imply nothing; broken input implies nothing."""
    assert derived("upnp.description", capture("axis-m1014-unknown.upnp.xml").decode()) == []
    assert derived("http.server", "App-webs/") == []
    assert derived("wsd.probematch", "not xml") == []
    assert derived("ssdp.response", "garbage") == []


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(STRUCTURED_FIELDS)), st.text(max_size=1024))
def test_any_text_gives_table_or_decode_error(field: str, value: str) -> None:
    """Any str for any structured field: a table or DecodeError; derived never raises."""
    try:
        table = parse_field(field, value)
    except DecodeError:
        table = None
    assert table is None or all(isinstance(v, str) for v in table.values())
    assert isinstance(derived(field, value), list)
