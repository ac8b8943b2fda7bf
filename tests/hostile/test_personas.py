"""The hostile personas' payloads: each is its attack and nothing else, on a real answer."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from scanner import limits
from scanner.errors import DecodeError
from scanner.parse.xmlsafe import ENTITY_REFUSED, parse_xml
from tests.hostile.lab import personas as hostile
from tests.hostile.lab.udp import PACKET_MAX, mdns_flood, questions

CAPTURES = Path(__file__).resolve().parents[1] / "fixtures" / "captures"


def test_gzip_bomb_fits_the_body_cap_and_inflates_32_mib() -> None:
    """The bomb is under the 64 KiB body cap on the wire and inflates to BOMB_SIZE bytes."""
    bomb = hostile.gzip_bomb()
    assert len(bomb) < limits.HTTP_BODY_MAX
    inflater, total, rest = zlib.decompressobj(16 + zlib.MAX_WBITS), 0, bomb
    while rest:
        total += len(inflater.decompress(rest, 1 << 20))
        rest = inflater.unconsumed_tail
    assert total == hostile.BOMB_SIZE


@pytest.mark.parametrize(
    ("payload", "tag"),
    [
        (hostile.upnp_billion_laughs, "friendlyName"),
        (hostile.soap_billion_laughs, "Manufacturer"),
        (lambda: hostile.sadp_external_entity_table()["reply"].encode(), "DeviceDescription"),
    ],
    ids=["upnp", "soap", "sadp"],
)
def test_xml_attacks_are_refused_and_use_their_entity(
    payload: Callable[[], bytes], tag: str
) -> None:
    """Each XML attack declares its entities and uses one in `tag`; camscan refuses it."""
    data = payload()
    assert b"<!DOCTYPE" in data and f"<{tag}>&".encode() in data.replace(b"tds:", b"")
    with pytest.raises(DecodeError, match=ENTITY_REFUSED):
        parse_xml(data)


def test_the_upnp_attack_is_the_real_description_plus_its_doctype() -> None:
    """Without the DOCTYPE and the entity, the description is the AXIS M1014 capture."""
    attacks = hostile.attacks()
    text = hostile.upnp_billion_laughs().decode().replace(attacks.billion_laughs, "")
    real = (CAPTURES / "axis-m1014-unknown.upnp.xml").read_text()
    assert text.replace(attacks.billion_laughs_ref, "AXIS M1014 - ACCC8E270AD8") == real


def test_the_ssdp_answer_differs_from_the_capture_only_in_location() -> None:
    """Every line but LOCATION is the capture's; the blank line that ends it is added."""
    answer = hostile.ssdp_answer("http://198.18.0.250:45895/rootdesc1.xml").decode()
    real = (CAPTURES / "axis-m1014-unknown.ssdp.txt").read_bytes().decode()
    assert answer.endswith("\r\n\r\n")
    changed = set(answer.split("\r\n")) ^ set(real.split("\r\n"))
    assert {line.split(":")[0] for line in changed if line} == {"LOCATION"}


def test_the_mdns_flood_answers_only_browsing() -> None:
    """The flood packets hold thousands of records; its question reader sees a PTR query and
    ignores an answer (its own packets)."""
    packets = mdns_flood("198.18.0.160")
    records = sum(int.from_bytes(p[6:8], "big") for p in packets)
    assert records == 4 * 3000 and all(len(p) <= 12 + PACKET_MAX for p in packets)
    query = b"\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00" + (
        b"\x05_http\x04_tcp\x05local\x00\x00\x0c\x00\x01"
    )
    assert questions(query) == [("_http._tcp.local.", 12)]
    assert questions(packets[0]) == []

