"""Dahua DHIP discovery answers: header handling, real captures, damaged twins."""

from __future__ import annotations

import struct

import pytest

from scanner.errors import DecodeError
from scanner.parse.dhip import parse_dhip

from .structured_captures import capture, truncated

IPC_HDW1431T1 = capture("dahua-ipc-hdw1431t1-s4-2.800.0000000.13.r.dhip.json")
IPC_HDW5421S = capture("dahua-ipc-hdw5421s-2.400.0.8.dhip.txt")


def datagram(body: bytes, length: int | None = None) -> bytes:
    """The 32-byte DHIP header (docs/protocols.md §DHIP) around `body`."""
    size = len(body) if length is None else length
    return struct.pack("<I", 32) + b"DHIP" + bytes(8) + struct.pack("<QQ", size, size) + body


def test_full_datagram_with_trailer_is_read() -> None:
    """Header + JSON + the '\\n\\0' trailer real firmware sends parses to the same table."""
    body = IPC_HDW1431T1 + b"\n\x00"
    assert parse_dhip(datagram(body)).table() == parse_dhip(IPC_HDW1431T1).table()


def test_header_with_wrong_length_falls_back_to_first_brace() -> None:
    """A header whose length field does not fit the body is not trusted (rroller's warning)."""
    reply = parse_dhip(datagram(IPC_HDW1431T1, length=9999))
    assert reply.model == "IPC-HDW1431T1-S4"


def test_researcher_rendering_with_prefix_and_spaced_json() -> None:
    """The IPC-HDW5421S answer as published (label before the JSON, spaces in it)."""
    reply = parse_dhip(IPC_HDW5421S)
    assert reply.model == "IPC-HDW5421S"
    assert reply.vendor == "Dahua"
    assert reply.get("Manufacturer") == "Private"
    assert reply.ipv4 == "218.5.136.140"
    assert reply.normalized_mac == "4c:11:bf:c2:0b:9d"
    assert reply.http_port == 80


def test_text_input_matches_bytes_input() -> None:
    """camscan identify passes the JSON as str; it parses like the datagram's bytes."""
    assert parse_dhip(IPC_HDW1431T1.decode()) == parse_dhip(IPC_HDW1431T1)


def test_truncated_answer_is_an_error() -> None:
    """Truncated JSON cannot be trusted: DecodeError."""
    with pytest.raises(DecodeError, match="DHIP JSON broken"):
        parse_dhip(datagram(truncated(IPC_HDW1431T1)))


def test_ruby_rendering_is_not_a_wire_format() -> None:
    """The corpus' Ruby-hash rendering (=>) of a Lorex answer is not JSON: DecodeError."""
    with pytest.raises(DecodeError):
        parse_dhip(b'{"mac"=>"00:1f:54:a9:2e:58", "params"=>{"deviceInfo"=>{}}}')


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"no json here",
        b"[" * 5000 + b"]" * 5000,
        b'{"params": {"deviceInfo": 1' + b"9" * 5000 + b"}}",
    ],
    ids=["empty", "no-json", "deep-nesting", "huge-int"],
)
def test_hostile_json_is_a_decode_error(data: bytes) -> None:
    """Empty, brace-less, deeply nested or giant-number JSON gives DecodeError, not a crash."""
    with pytest.raises(DecodeError):
        parse_dhip(data)


def test_lone_surrogates_are_made_encodable() -> None:
    """A JSON-escaped lone surrogate does not leak into values that must be encoded later."""
    reply = parse_dhip(b'{"params": {"deviceInfo": {"DeviceType": "A\\ud800B"}}}')
    assert reply.model is not None
    reply.model.encode("utf-8")
