"""Firmware strings in each maker's format, read into version + build date, and ordered."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.risk.facts import firmware_seen
from scanner.risk.firmware import Firmware, compare, parse_firmware
from tests.risk.helpers import corpus_devices


@pytest.mark.parametrize(
    ("text", "tokens", "build"),
    [
        # Hikvision: ONVIF FirmwareVersion (evercam issue 10, DS-2DF7286-A)
        ("V5.1.8 build 140616", (5, 1, 8), dt.date(2014, 6, 16)),
        # Hikvision SADP SoftwareVersion, no space (Haicam discovery.go capture)
        ("V5.6.2build 190701", (5, 6, 2), dt.date(2019, 7, 1)),
        # Hikvision firmware file name (Watchful IP's CVE-2021-36260 report)
        ("IPC_G5_EN_STD_5.5.113_210317", (5, 5, 113), dt.date(2021, 3, 17)),
        ("IPC_R2_EN_STD_V5.4.81_180203", (5, 4, 81), dt.date(2018, 2, 3)),
        # Dahua web UI (mkuthan/homelab-public docs/cameras.md)
        ("2.880.0000000.16.R, Build Date: 2024-08-30", (2, 880, 0, 16, "R"), dt.date(2024, 8, 30)),
        # Dahua magicBox getSoftwareVersion (rroller/dahua issue 9)
        ("version=4.001.0000005.0,build:2020-11-17", (4, 1, 5, 0), dt.date(2020, 11, 17)),
        # Dahua / Amcrest file names (CVE-2020-5735 record)
        ("2.800.0000000.6.R.200314.bin", (2, 800, 0, 6, "R"), dt.date(2020, 3, 14)),
        ("2.420.AC00.18.R.20200217", (2, 420, "AC00", 18, "R"), dt.date(2020, 2, 17)),
        # Dahua ONVIF / DHIP without a date (Amcrest fixture; Haicam capture)
        ("V2.800.00AC003.0.R", (2, 800, "00AC003", 0, "R"), None),
        ("2.800.0000000.13.R", (2, 800, 0, 13, "R"), None),
        # Axis VAPIX Version (a plain dotted version)
        ("9.80.1", (9, 80, 1), None),
        # an advisory bound by build date only
        ("build 2021-06-01", (), dt.date(2021, 6, 1)),
    ],
)
def test_each_makers_format_reads_into_version_and_build(
    text: str, tokens: tuple[object, ...], build: dt.date | None
) -> None:
    """Version components and build date come out of every format camscan meets."""
    parsed = parse_firmware(text)
    assert parsed is not None and parsed.tokens == tokens and parsed.build == build


@pytest.mark.parametrize("text", ["", "   ", "hello", "build 991399", "V", "build"])
def test_no_version_no_firmware(text: str) -> None:
    """Text holding neither a version nor a valid build date is no firmware."""
    assert parse_firmware(text) is None


@given(st.text(max_size=300))
def test_parser_is_total(text: str) -> None:
    """Whatever a device writes, the parser returns a Firmware or None, never raises."""
    parsed = parse_firmware(text)
    assert parsed is None or parsed.tokens or parsed.build is not None


def _f(text: str) -> Firmware:
    parsed = parse_firmware(text)
    assert parsed is not None
    return parsed


@pytest.mark.parametrize(
    ("device", "bound", "order"),
    [
        ("V5.4.5 build 170123", "V5.4.0 build 160530", 1),  # version decides first
        ("V5.4.0 build 160529", "V5.4.0 build 160530", -1),  # then the build date
        ("V5.4.0 build 160530", "V5.4.0 build 160530", 0),
        ("V5.4.0", "V5.4.0 build 160530", None),  # same version, build unknown
        ("V5.5.10", "V5.5.9", 1),  # numbers, not text: 10 > 9
        ("V5.4", "V5.4.1", -1),  # a prefix is lower
        ("V5.7.15 build 240201", "build 2021-06-28", 1),  # a date-only bound: dates decide
        ("V5.7.15", "build 2021-06-28", None),
        ("2.800.00AC003.0.R", "2.800.00AC000.0.R.200330", 1),  # build codes as written
    ],
)
def test_compare(device: str, bound: str, order: int | None) -> None:
    """-1/0/1, or None when what would decide is unknown (never guessed)."""
    assert compare(_f(device), _f(bound)) == order


def test_build_date_is_taken_from_the_answer_beside_the_version() -> None:
    """ISAPI keeps the build apart (firmwareReleasedDate): the device's firmware gets it."""
    device = corpus_devices()["s0181"]
    assert device.verdict.firmware == "V5.7.15"
    seen = firmware_seen(device.verdict, device.observations)
    assert seen is not None and seen.build == dt.date(2024, 2, 1)


def test_magicbox_build_is_read_when_the_verdict_has_no_firmware() -> None:
    """The magicBox answer names version and build; the verdict names none."""
    device = corpus_devices()["s0217"]
    seen = firmware_seen(device.verdict, device.observations)
    assert seen is not None and seen.build == dt.date(2020, 11, 17)
