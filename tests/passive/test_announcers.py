"""The announcer personas: sourced, readable by camscan's parsers, kept off real networks."""

from __future__ import annotations

import pytest

from scanner.parse.ssdp import parse_ssdp
from scanner.parse.wsd import parse_probematch
from scanner.sim.responders import fill, load_discovery_personas
from tests.passive.announcers import ANNOUNCERS, check_address


def test_every_persona_is_sourced_and_says_something() -> None:
    """Each announcer cites its source and has at least one way of announcing itself."""
    names = [a.name for a in ANNOUNCERS]
    assert len(set(names)) == len(names)
    discovery = {p.name for p in load_discovery_personas()}
    assert not set(names) & discovery
    for persona in ANNOUNCERS:
        assert persona.sources and all(len(s) > 20 for s in persona.sources)
        assert persona.ssdp or persona.wsd or persona.dhcp or persona.mdns or persona.sadp
        assert {persona.mdns, persona.sadp} - {None} <= discovery


def test_messages_parse_as_what_they_are() -> None:
    """NOTIFYs are NOTIFY messages and Hellos are Hellos, once their tokens are filled."""
    for persona in ANNOUNCERS:
        for text in persona.ssdp:
            message = parse_ssdp(fill(text, ip="198.18.0.60"))
            assert message.start_line == "NOTIFY * HTTP/1.1" and message.server
        if persona.wsd:
            hello = fill(persona.wsd, ip="198.18.0.60", message_id="x")
            (match,) = parse_probematch(hello)
            assert match.kind == "Hello" and match.xaddrs == (
                "http://198.18.0.60/onvif/device_service",)


@pytest.mark.parametrize("address", ["192.168.1.10", "10.0.0.5", "8.8.8.8"])
def test_announcers_refuse_addresses_outside_the_lab(address: str) -> None:
    """An announcer never speaks from an address outside 198.18.0.0/15 or loopback."""
    with pytest.raises(SystemExit):
        check_address(address)
    assert check_address("198.18.0.61") == "198.18.0.61"
