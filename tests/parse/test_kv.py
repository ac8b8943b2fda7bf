"""magicBox key=value lines and the shared text helpers."""

from __future__ import annotations

import pytest

from scanner.errors import DecodeError
from scanner.parse.kv import LINES_MAX, normalize_mac, parse_kv_lines, parse_port

from .structured_captures import capture, truncated

NVR = capture("dahua-nvr2x-4ks3-4.001.0000005.0.magicbox.txt")
AD410 = capture("amcrest-ad410-unknown.magicbox.txt")


def test_oem_doorbell_exposes_dahua_internal_model() -> None:
    """The Amcrest AD410 answer: retail deviceType next to Dahua's updateSerial DB6I."""
    lines = parse_kv_lines(AD410)
    assert lines.get("deviceType") == "AD410"
    assert lines.get("updateSerial") == "DB6I"
    assert lines.table()["updateSerialCloudUpgrade"].startswith("DB6I:01:04")


def test_truncated_and_empty() -> None:
    """A cut answer keeps its first lines; no pairs at all is an error (oversized:
    test_parsers_total.py)."""
    assert parse_kv_lines(truncated(AD410)).get("deviceType") == "AD410"
    with pytest.raises(DecodeError, match="no key=value"):
        parse_kv_lines(b"Error\r\nBad Request!\r\n")


def test_lines_are_capped() -> None:
    """At most LINES_MAX lines are kept."""
    flood = "\n".join(f"k{i}=v" for i in range(LINES_MAX * 2))
    assert len(parse_kv_lines(flood).entries) == LINES_MAX


@pytest.mark.parametrize(
    ("text", "mac"),
    [
        ("58-50-ed-1f-e3-85", "58:50:ed:1f:e3:85"),
        ("08:ED:ED:87:42:7A", "08:ed:ed:87:42:7a"),
        ("ACCC8E270AD8", "ac:cc:8e:27:0a:d8"),
        ("bc:ad...", None),
        ("**REDACTED**", None),
    ],
)
def test_normalize_mac(text: str, mac: str | None) -> None:
    """MACs in the spellings devices use normalise to aa:bb:cc:dd:ee:ff; others give None."""
    assert normalize_mac(text) == mac


@pytest.mark.parametrize(
    ("text", "port"), [("80", 80), ("0", None), ("65536", None), ("²", None), (None, None)]
)
def test_parse_port(text: str | None, port: int | None) -> None:
    """Only ASCII decimal 1..65535 is a port."""
    assert parse_port(text) == port
