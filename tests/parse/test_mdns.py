"""DNS-SD TXT records in their three input shapes."""

from __future__ import annotations

from scanner.parse.mdns import ENTRIES_MAX, parse_txt

from .structured_captures import capture, truncated

SYNOLOGY = capture("synology-ds218plus-6.2-25556.mdns.txt")
AIRPORT = capture("apple-airport-extreme-unknown.mdns.txt")
HIKVISION = capture("hikvision-ds-2cd2722fwd-izs-unknown.mdns.txt")


def test_single_entries() -> None:
    """One-entry records (AirPort model=, Hikvision path=/) parse."""
    assert parse_txt(AIRPORT).table() == {"model": "AirPort"}
    assert parse_txt(HIKVISION).table() == {"path": "/"}


def test_list_and_mapping_inputs() -> None:
    """A list of 'k=v' strings and a zeroconf-style bytes mapping give the same table."""
    strings = SYNOLOGY.decode().split()
    assert parse_txt(strings).table() == parse_txt(SYNOLOGY).table()
    mapping = {b"model": b"AirPort", b"flag": None}
    assert parse_txt(mapping).table() == {"model": "AirPort", "flag": ""}


def test_values_with_spaces_and_repeated_keys() -> None:
    """A token without '=' continues the previous value; only a key's first value counts."""
    record = parse_txt("name=My Camera path=/ NAME=other")
    assert record.table() == {"name": "My Camera", "path": "/"}
    assert record.get("NAME") == "My Camera"


def test_bounds_and_empty_record() -> None:
    """Entries are capped; an empty TXT is an empty table (oversized: test_parsers_total.py)."""
    assert len(parse_txt(" ".join(f"k{i}=v" for i in range(500))).entries) == ENTRIES_MAX
    assert parse_txt("").table() == {}


def test_truncated_record_keeps_the_entries_before_the_cut() -> None:
    """A cut record keeps its first entries."""
    assert parse_txt(truncated(SYNOLOGY)).table()["vendor"] == "Synology"
