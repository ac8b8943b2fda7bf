"""Hikvision SADP ProbeMatch parsing on a real capture and its damaged twins."""

from __future__ import annotations

from scanner.parse.sadp import parse_sadp

from .structured_captures import capture, truncated

DS_2CD2385G1 = capture("hikvision-ds-2cd2385g1-i-v5.6.2.sadp.xml")


def test_typed_accessors() -> None:
    """The record normalises the MAC and reads ports and the activation state."""
    reply = parse_sadp(DS_2CD2385G1)
    assert reply.model == "DS-2CD2385G1-I"
    assert reply.mac == "58:50:ed:1f:e3:85"
    assert (reply.http_port, reply.command_port) == (80, 8000)
    assert reply.activated is True
    assert reply.uuid == "e8ecfe09-90e4-44c0-842b-703f46b58c81"
    assert reply.complete


def test_truncated_reply_gives_partial_data() -> None:
    """A cut datagram keeps the fields before the cut and says it is incomplete."""
    reply = parse_sadp(truncated(DS_2CD2385G1))
    assert not reply.complete
    assert reply.model == "DS-2CD2385G1-I"
    assert reply.get("SupportMailBox") is None
