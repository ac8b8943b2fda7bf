"""What the parsers of scanner/parse promise about hostile input, checked once per parser.

- Any bytes, random or a damaged real capture, give the parser's record or DecodeError:
  never another exception (the scan goes on with the next answer).
- An answer over 64 KiB is refused before parsing.
- XML entity and DTD tricks (billion laughs, external entity, external DTD) are refused.
- A well-formed document of another kind, often our own looped-back request, is refused with
  a reason, so a probe can tell it from an answer.

The facts each parser reads from its captures are in test_capture_tables.py (the flat tables)
and in that parser's own test file (the rest).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.errors import DecodeError
from scanner.parse.dhip import parse_dhip
from scanner.parse.isapi import parse_isapi_device_info
from scanner.parse.kv import parse_kv_lines
from scanner.parse.mdns import parse_txt
from scanner.parse.onvif import parse_device_information
from scanner.parse.rtsp import parse_rtsp_head, sdp_text
from scanner.parse.sadp import parse_sadp
from scanner.parse.ssdp import parse_ssdp
from scanner.parse.tls import certificate_names, render_name
from scanner.parse.upnp import parse_upnp_description
from scanner.parse.wsd import parse_probematch, parse_scopes
from scanner.parse.xm import parse_xm_table
from scanner.parse.xmlsafe import parse_xml

from .structured_captures import HOSTILE_XML, capture, mutations, oversized, total
from .test_dhip import IPC_HDW1431T1, IPC_HDW5421S, datagram
from .test_isapi import IPC, NVR, OEM_TRUNCATED
from .test_kv import AD410
from .test_kv import NVR as MAGICBOX_NVR
from .test_mdns import AIRPORT, SYNOLOGY
from .test_onvif import AMCREST_INFO, AVIGILON, FAULT, FLIR, TIANDY
from .test_sadp import DS_2CD2385G1
from .test_ssdp import AXIS_NOTIFY, AXIS_SEARCH, COMPAL
from .test_upnp import M1014, P3301
from .test_wsd import AMCREST, DAHUA_HELLO, HIKVISION
from .test_xm import IPC_6A6B

Parse = Callable[[bytes], object]

SEEDS: dict[str, tuple[Parse, tuple[bytes, ...]]] = {
    "dhip": (parse_dhip, (IPC_HDW1431T1, datagram(IPC_HDW5421S))),
    "isapi": (parse_isapi_device_info, (IPC, NVR, OEM_TRUNCATED)),
    "kv": (parse_kv_lines, (MAGICBOX_NVR, AD410)),
    "mdns-txt": (parse_txt, (SYNOLOGY, AIRPORT)),
    "onvif-scopes": (parse_scopes, (FLIR, AVIGILON, TIANDY)),
    "onvif-device-information": (parse_device_information, (AMCREST_INFO, FAULT)),
    "sadp": (parse_sadp, (DS_2CD2385G1,)),
    "ssdp": (parse_ssdp, (AXIS_SEARCH, AXIS_NOTIFY, COMPAL)),
    "upnp": (parse_upnp_description, (M1014, P3301)),
    "wsd": (parse_probematch, (HIKVISION, DAHUA_HELLO, AMCREST)),
    "xm": (parse_xm_table, (IPC_6A6B,)),
    "xml": (parse_xml, (capture("hikvision-ds-2cd2385g1-i-v5.6.2.sadp.xml"), *HOSTILE_XML)),
    "rtsp-head": (parse_rtsp_head, ()),
    "sdp": (sdp_text, ()),
    "tls-certificate": (certificate_names, ()),
    "tls-name": (render_name, ()),
}
"""Parser -> the real captures its damaged inputs are made from (none: random bytes only; the
certificate tests in tests/probes/test_tls.py damage a real certificate themselves)."""

OVERSIZED: dict[str, tuple[Parse, bytes]] = {
    "dhip": (parse_dhip, oversized(IPC_HDW1431T1)),
    "dhip-with-header": (parse_dhip, datagram(oversized(IPC_HDW1431T1))),
    "isapi": (parse_isapi_device_info, oversized(IPC)),
    "kv": (parse_kv_lines, oversized(AD410)),
    "mdns-txt": (parse_txt, oversized(SYNOLOGY)),
    "onvif-scopes": (parse_scopes, oversized(FLIR)),
    "onvif-device-information": (parse_device_information, oversized(AMCREST_INFO)),
    "sadp": (parse_sadp, oversized(DS_2CD2385G1)),
    "ssdp": (parse_ssdp, oversized(AXIS_SEARCH)),
    "upnp": (parse_upnp_description, oversized(M1014)),
    "wsd": (parse_probematch, oversized(HIKVISION)),
}
"""Parser -> a real capture padded past 64 KiB (still well-formed)."""

XML_PARSERS: dict[str, Parse] = {
    "isapi": parse_isapi_device_info,
    "onvif-device-information": parse_device_information,
    "sadp": parse_sadp,
    "upnp": parse_upnp_description,
    "wsd": parse_probematch,
}
"""The parsers of XML documents (parse_xml itself is tested in test_xmlsafe.py)."""

NOT_AN_ANSWER: dict[str, tuple[Parse, bytes, str]] = {
    "dhip-own-search": (
        parse_dhip,
        datagram(b'{"method": "DHDiscover.search", "params": {"mac": "", "uni": 1}}'),
        r"no params\.deviceInfo",
    ),
    "isapi-response-status": (
        parse_isapi_device_info,
        b'<ResponseStatus version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">'
        b"<statusCode>4</statusCode></ResponseStatus>",
        "not an ISAPI DeviceInfo",
    ),
    "onvif-other-soap-answer": (
        parse_device_information,
        b"<Envelope><Body><GetSystemDateAndTimeResponse/></Body></Envelope>",
        "no GetDeviceInformationResponse or Fault",
    ),
    "sadp-own-probe": (
        parse_sadp,
        b'<?xml version="1.0"?><Probe><Uuid>x</Uuid><Types>inquiry</Types></Probe>',
        "not a SADP ProbeMatch",
    ),
    "wsd-own-probe": (
        parse_probematch,
        b"<s:Envelope><s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types>"
        b"</d:Probe></s:Body></s:Envelope>",
        "no ProbeMatch",
    ),
}
"""Parser -> a document that is not its answer, and the reason it gives."""


@pytest.mark.parametrize("name", SEEDS)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_any_bytes_give_a_record_or_decode_error(name: str, data: st.DataObject) -> None:
    """Arbitrary and damaged answers: the parser's record or DecodeError only."""
    parse, seeds = SEEDS[name]
    inputs = st.binary(max_size=2048)
    total(parse, data.draw(st.one_of(inputs, mutations(*seeds)) if seeds else inputs))


@pytest.mark.parametrize("name", OVERSIZED)
def test_oversized_answer_is_refused(name: str) -> None:
    """More than 64 KiB is refused."""
    parse, answer = OVERSIZED[name]
    with pytest.raises(DecodeError, match="64 KiB"):
        parse(answer)


@pytest.mark.parametrize("name", XML_PARSERS)
@pytest.mark.parametrize("document", HOSTILE_XML, ids=["billion-laughs", "xxe", "external-dtd"])
def test_hostile_documents_are_refused(name: str, document: bytes) -> None:
    """Entity and DTD tricks raise DecodeError."""
    with pytest.raises(DecodeError, match="XML entity refused"):
        XML_PARSERS[name](document)


@pytest.mark.parametrize("name", NOT_AN_ANSWER)
def test_a_document_of_another_kind_is_refused_with_its_reason(name: str) -> None:
    """Our own looped-back request, or another answer of the same protocol, is no record."""
    parse, document, reason = NOT_AN_ANSWER[name]
    with pytest.raises(DecodeError, match=reason):
        parse(document)
