"""Frames -> readers: ARP pairs, DHCP requests, IPv4 fragments, the cheap pre-filter."""

from __future__ import annotations

from typing import Any

import pytest
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, UDP, fragment
from scapy.layers.l2 import ARP, Dot1Q, Ether

from scanner.passive.frames import FRAGMENTED_MAX, FrameReader, wanted
from scanner.passive.heard import Heard
from tests.passive.announcers import arp_announcement, dhcp_request

from .wire import answer, ether, udp

AXIS_MAC = "ac:cc:8e:27:0a:d8"
VENDOR_CLASS = ("vendor_class_id", "AXIS,Network Camera,P3343,5.20.3")


def _heard(*frames: Any) -> Heard:
    heard = Heard()
    reader = FrameReader(heard)
    for frame in frames:
        reader.read(Ether(bytes(frame)))
    heard.settle_dhcp()
    return heard


def _fields(heard: Heard, host: str) -> dict[str, set[str]]:
    table: dict[str, set[str]] = {}
    for findings in heard.findings.values():
        for obs in findings.observations:
            if obs.host == host:
                table.setdefault(obs.field, set()).add(obs.value)
    return table


def test_arp_announcement_pairs_address_and_mac() -> None:
    """An RFC 5227 announcement gives the sender's MAC; an ARP probe (0.0.0.0) gives none."""
    probe = ether(AXIS_MAC, "ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=AXIS_MAC, psrc="0.0.0.0", pdst="192.0.2.9"
    )
    heard = _heard(arp_announcement(AXIS_MAC, "192.0.2.9"), probe)
    assert _fields(heard, "192.0.2.9") == {"mac": {AXIS_MAC}}
    assert (heard.tally("arp").messages, heard.tally("arp").ignored) == (1, 1)


def test_dhcp_request_options_land_on_the_requested_address() -> None:
    """INIT-REBOOT request: option 60 and 12 are filed under option 50's address."""
    request = dhcp_request(AXIS_MAC, "192.0.2.10", (VENDOR_CLASS, ("hostname", "axis-accc8e")))
    assert _fields(_heard(request), "192.0.2.10") == {
        "mac": {AXIS_MAC},
        "dhcp.vendor_class": {"AXIS,Network Camera,P3343,5.20.3"},
        "dhcp.hostname": {"axis-accc8e"},
    }


def test_dhcp_server_answer_or_arp_beats_the_requested_address() -> None:
    """A DISCOVER asking for .10 but an ACK giving .11: the facts go to .11."""
    discover = dhcp_request(AXIS_MAC, "192.0.2.10", (VENDOR_CLASS,))
    ack = (ether() / IP(src="192.0.2.1", dst="255.255.255.255") / UDP(sport=67, dport=68)
           / BOOTP(op=2, yiaddr="192.0.2.11", chaddr=bytes.fromhex("accc8e270ad8"))
           / DHCP(options=[("message-type", "ack"), "end"]))
    heard = _heard(discover, ack)
    assert "dhcp.vendor_class" in _fields(heard, "192.0.2.11")
    assert _fields(heard, "192.0.2.10") == {}


def test_dhcp_client_without_any_address_is_counted() -> None:
    """A DISCOVER with no option 50 and nothing else about its MAC stays unplaced."""
    bare = (ether(AXIS_MAC, "ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255")
            / UDP(sport=68, dport=67) / BOOTP(chaddr=bytes.fromhex("accc8e270ad8"))
            / DHCP(options=[("message-type", "discover"), VENDOR_CLASS, "end"]))
    heard = _heard(bare)
    assert heard.findings_for("dhcp").observations == []
    assert heard.tally("dhcp").notes == {"client without an address": 1}


def test_dhcp_hostile_options_are_bounded_and_cleaned() -> None:
    """A NUL-padded, overlong host name is kept cleaned and cut; a broken BOOTP is an error."""
    request = dhcp_request(AXIS_MAC, "192.0.2.12", (("hostname", "cam\0\0" + "x" * 250),))
    (name,) = _fields(_heard(request), "192.0.2.12")["dhcp.hostname"]
    assert name.startswith("cam x") and len(name) <= 300
    broken = ether() / IP(src="192.0.2.13", dst="192.0.2.2") / UDP(sport=68, dport=67) / b"\x01\x01"
    assert _heard(broken).tally("dhcp").errors == 1


def test_fragmented_ws_discovery_answer_is_put_back_together() -> None:
    """A ProbeMatch larger than one frame, fragments shuffled, is read whole."""
    big = udp("192.0.2.20", 3702, "192.0.2.2", 50000, answer("hik-ds2cd2385g1", "wsd", "x"))
    pieces = fragment(big, fragsize=512)
    assert len(pieces) >= 4
    heard = _heard(*reversed(pieces))
    assert "wsd.probematch" in _fields(heard, "192.0.2.20")


def test_fragment_flood_is_bounded() -> None:
    """Fragments that never complete are dropped beyond FRAGMENTED_MAX datagrams."""
    heard = Heard()
    reader = FrameReader(heard)
    for n in range(FRAGMENTED_MAX * 3):
        first = ether() / IP(src="192.0.2.30", dst="192.0.2.2", id=n, flags="MF") / (b"x" * 64)
        reader.read(Ether(bytes(first)))
    assert len(reader._fragments._pending) <= FRAGMENTED_MAX


def test_prefilter_keeps_what_the_readers_need() -> None:
    """ARP, discovery and DHCP ports, later fragments and chosen TCP ports pass; DNS does not."""
    assert wanted(bytes(arp_announcement(AXIS_MAC, "192.0.2.9")))
    assert wanted(bytes(udp("192.0.2.1", 40000, "239.255.255.250", 1900, b"x")))
    tagged = ether() / Dot1Q(vlan=5) / IP(dst="192.0.2.2") / UDP(sport=37810, dport=4000)
    assert wanted(bytes(tagged))
    assert not wanted(bytes(udp("192.0.2.1", 40000, "192.0.2.53", 53, b"x")))
    later = ether() / IP(src="192.0.2.1", dst="192.0.2.2", frag=10, proto=17) / (b"y" * 40)
    assert wanted(bytes(later))
    from scapy.layers.inet import TCP

    web = bytes(ether() / IP(dst="192.0.2.2") / TCP(sport=80, dport=41000))
    assert wanted(web, frozenset({80})) and not wanted(web)
    assert not wanted(b"\x00" * 14)


def test_frames_without_a_destination_mac_are_refused() -> None:
    """conftest's guard: a frame that would make scapy ARP for its destination fails instead.

    127.0.0.2 is routed to lo, so even without the guard scapy would not send anything here.
    """
    with pytest.raises(RuntimeError, match="would ARP"):
        bytes(Ether() / IP(dst="127.0.0.2") / UDP(dport=1900))
