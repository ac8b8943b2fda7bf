"""Hikvision ISAPI deviceInfo: real captures (incl. one truncated at the source)."""

from __future__ import annotations

from scanner.parse.isapi import parse_isapi_device_info

from .structured_captures import capture, truncated

IPC = capture("hikvision-ds-2cd2386g2-iu-v5.7.18.isapi.xml")
NVR = capture("hikvision-ds-7732ni-m4-v5.03.020.isapi.xml")
OEM_TRUNCATED = capture("unknown-acr4-40-unknown.isapi.xml")


def test_nvr_with_isapi_org_namespace() -> None:
    """The DS-7732NI-M4 NVR answer carries the isapi.org namespace."""
    info = parse_isapi_device_info(NVR)
    assert info.device_type == "NVR"
    assert info.namespace == "http://www.isapi.org/ver20/XMLSchema"
    assert info.mac == "22:ea:fb:38:1e:06"


def test_source_truncated_oem_answer_gives_partial_data() -> None:
    """The ACR4-40 answer, cut in its source: model and std-cgi namespace survive, cut MAC not."""
    info = parse_isapi_device_info(OEM_TRUNCATED)
    assert not info.complete
    table = info.table()
    assert table["model"] == "ACR4-40"
    assert table["xmlns"] == "http://www.std-cgi.com/ver20/XMLSchema"
    assert "macAddress" not in table


def test_truncated_answer_keeps_the_fields_before_the_cut() -> None:
    """A cut answer keeps the fields before the cut (oversized: test_parsers_total.py)."""
    assert parse_isapi_device_info(truncated(IPC)).model == "DS-2CD2386G2-IU"
