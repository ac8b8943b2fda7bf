"""The flat table each parser makes of a real capture: the facts it must hold, checked by one
parametrised test over the parsers (the rest of what a parser reads is in its own test file)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pytest

from scanner.parse.dhip import parse_dhip
from scanner.parse.isapi import parse_isapi_device_info
from scanner.parse.kv import parse_kv_lines
from scanner.parse.mdns import parse_txt
from scanner.parse.sadp import parse_sadp
from scanner.parse.ssdp import parse_ssdp
from scanner.parse.upnp import parse_upnp_description
from scanner.parse.xm import parse_xm_table

from .structured_captures import capture


@dataclass(frozen=True)
class Facts:
    """What the table of one capture holds."""

    table: Callable[[bytes], Mapping[str, str]]
    capture: str
    holds: dict[str, str]
    size: int | None = None
    """How many keys the table has, where that is part of the fact; with `exact`, len(holds)."""
    exact: bool = False
    """The table is `holds` and nothing else."""


CASES = {
    "isapi-camera": Facts(
        lambda data: parse_isapi_device_info(data).table(),
        "hikvision-ds-2cd2386g2-iu-v5.7.18.isapi.xml",
        # every child by local name plus the namespace URI
        {
            "model": "DS-2CD2386G2-IU",
            "serialNumber": "DS-2CD2386G2-IU00000000AAWRJ00000000",
            "firmwareVersion": "V5.7.18",
            "firmwareReleasedDate": "build 240826",
            "deviceType": "IPCamera",
            "telecontrolID": "88",
            "systemContact": "Hikvision.China",
            "manufacturer": "hikvision",
            "OEMCode": "1",
            "xmlns": "http://www.hikvision.com/ver20/XMLSchema",
        },
    ),
    "mdns-synology-text": Facts(
        lambda data: parse_txt(data).table(),
        "synology-ds218plus-6.2-25556.mdns.txt",
        # the TXT as 'k=v k=v' text: vendor, model, serial, MAC
        {"vendor": "Synology", "model": "DS218+", "mac_address": "00:11:32:80:fd:b5"},
        size=9,
    ),
    "sadp-reply": Facts(
        lambda data: parse_sadp(data).table(),
        "hikvision-ds-2cd2385g1-i-v5.6.2.sadp.xml",
        # every child by tag: model, serial, numeric type code, firmware, OEM code, MAC
        {
            "DeviceDescription": "DS-2CD2385G1-I",
            "DeviceSN": "DS-2CD2385G1-I20200414AAWRE33842150",
            "DeviceType": "141945",
            "SoftwareVersion": "V5.6.2build 190701",
            "DetailOEMCode": "1",
            "MAC": "58-50-ed-1f-e3-85",
            "HCPlatformEnable": "flase",  # kept as sent
        },
        size=37,
    ),
    "ssdp-axis-msearch-answer": Facts(
        lambda data: parse_ssdp(data).table(),
        "axis-m1014-unknown.ssdp.txt",
        # status plus upper-cased headers, values as sent
        {
            "status": "HTTP/1.1 200 OK",
            "SERVER": "Linux/2.6.35, UPnP/1.0, Portable SDK for UPnP devices/1.6.18",
            "X-USER-AGENT": "redsonic",
            "ST": "urn:axis-com:service:BasicService:1",
            "USN": "uuid:Upnp-BasicDevice-1_0-ACCC8E270AD8::urn:axis-com:service:BasicService:1",
            "LOCATION": "http://192.168.1.102:45895/rootdesc1.xml",
            "EXT": "",
        },
    ),
    "dhip-json-body": Facts(
        lambda data: parse_dhip(data).table(),
        "dahua-ipc-hdw1431t1-s4-2.800.0000000.13.r.dhip.json",
        # model, class, serial, firmware, nested address, mac, method
        {
            "DeviceType": "IPC-HDW1431T1-S4",
            "DeviceClass": "IPC",
            "SerialNo": "6C01E93PAG69A7D",
            "Version": "2.800.0000000.13.R",
            "Vendor": "Private",
            "Port": "37777",
            "IPv4Address.IPAddress": "192.168.124.17",
            "IPv4Address.DhcpEnable": "true",
            "IPv6Address.DefaultGateway": "",
            "mac": "08:ed:ed:87:42:7a",
            "method": "client.notifyDevInfo",
        },
    ),
    "xm-netcommon": Facts(
        parse_xm_table,
        "xiongmai-ipc-6a6b-v4.02.r12.xm.json",
        # NetWork.NetCommon's scalar keys as text, plus Name
        {"HostName": "IPC_6a6b", "TCPPort": "34567", "Name": "NetWork.NetCommon"},
    ),
    "magicbox-pasted-answers": Facts(
        lambda data: parse_kv_lines(data).table(),
        "dahua-nvr2x-4ks3-4.001.0000005.0.magicbox.txt",
        # URL lines and blanks are skipped, every pair kept
        {
            "deviceType": "31",
            "processor": "ST7108",
            "serialNumber": "4F07335PAZEEA9B",
            "updateSerial": "NVR2X-4KS3",
            "version": "4.001.0000005.0,build:2020-11-17",
            "name": "NVR",
            "vendor": "Dahua",
        },
        exact=True,
    ),
    "upnp-axis-m1014": Facts(
        lambda data: parse_upnp_description(data).table(),
        "axis-m1014-unknown.upnp.xml",
        # all ten keys as the camera sent them
        {
            "manufacturer": "AXIS",
            "manufacturerURL": "http://www.axis.com/",
            "modelName": "AXIS M1014",
            "modelNumber": "M1014",
            "modelDescription": "AXIS M1014 Fixed Network Camera",
            "friendlyName": "AXIS M1014 - ACCC8E270AD8",
            "serialNumber": "ACCC8E270AD8",
            "UDN": "uuid:Upnp-BasicDevice-1_0-ACCC8E270AD8",
            "deviceType": "urn:schemas-upnp-org:device:Basic:1",
            "presentationURL": "http://192.168.1.102:80/",
        },
        exact=True,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_capture_table_holds_its_facts(case: str) -> None:
    """Each fact the capture's table must hold, all of them reported when any is wrong."""
    facts = CASES[case]
    table = facts.table(capture(facts.capture))
    if facts.exact:
        assert table == facts.holds
        return
    assert {key: table.get(key) for key in facts.holds} == facts.holds
    if facts.size is not None:
        assert len(table) == facts.size
