"""WS-Discovery ProbeMatch/Hello parsing across prefixes, namespaces and damaged twins."""

from __future__ import annotations

import pytest

from scanner.parse.wsd import parse_probematch, probematch_table

from .structured_captures import capture, truncated

HIKVISION = capture("hikvision-ds-2cd2385g1-i-v5.6.2.wsd.xml")
DAHUA_HELLO = capture("dahua-ipc-hfw2228m-i1-v2-unknown.wsd.xml")
AMCREST = capture("amcrest-ip2m-841b-unknown.wsd.xml")


def test_hikvision_probematch() -> None:
    """The DS-2CD2385G1-I ProbeMatch: address, types, both XAddrs, version and scope keys."""
    table = probematch_table(HIKVISION)
    assert table["Address"] == "urn:uuid:aa85c000-6324-11b3-819e-5850ed1fe385"
    assert table["Types"] == "dn:NetworkVideoTransmitter tds:Device"
    assert table["XAddrs"].split() == [
        "http://192.168.124.40/onvif/device_service",
        "http://[fe80::5a50:edff:fe1f:e385]/onvif/device_service",
    ]
    assert table["MetadataVersion"] == "10"
    assert table["scope.name"] == "HIKVISION DS-2CD2385G1-I"
    assert table["scope.hardware"] == "DS-2CD2385G1-I"
    assert table["scope.mac"] == "58:50:ed:1f:e3:85"
    assert table["scope.location"] == "city/hangzhou"
    assert "name/HIKVISION%20DS-2CD2385G1-I" in table["Scopes"]  # as sent


def test_dahua_hello_is_accepted() -> None:
    """A Hello announcement parses like a ProbeMatch, with its kind recorded."""
    (match,) = parse_probematch(DAHUA_HELLO)
    assert match.kind == "Hello"
    assert match.address == "uuid:503b687a-b9d7-474f-a2d0-a18c8b25a464"
    table = match.table()
    assert table["scope.name"] == "Dahua"
    assert table["scope.hardware"] == "IPC-HFW2228M-I1-V2"
    assert table["scope.other"] == "onvif://www.onvif.org/extension/unique_identifier"


def test_amcrest_probematch_with_split_types() -> None:
    """Types split over two lines are folded; the Amcrest name scope is read."""
    table = probematch_table(AMCREST)
    assert table["Types"] == "dn:NetworkVideoTransmitter tds:Device"
    assert table["scope.name"] == "Amcrest"
    assert table["scope.location"] == "country/china"


@pytest.mark.parametrize(
    "namespace",
    [
        "http://schemas.xmlsoap.org/ws/2005/04/discovery",
        "http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01",
    ],
)
def test_both_discovery_namespaces_and_default_prefix(namespace: str) -> None:
    """The real ProbeMatch under either WS-Discovery namespace, as default namespace, parses."""
    body = HIKVISION.decode().replace("d:", "").replace("wsadis:", "")
    envelope = f'<Envelope xmlns="{namespace}">{body.replace("env:", "")}</Envelope>'
    assert probematch_table(envelope)["scope.hardware"] == "DS-2CD2385G1-I"


def test_several_matches_are_all_returned() -> None:
    """An envelope with two ProbeMatch elements yields both, and the table keeps both names."""
    hik = HIKVISION.decode()
    inner = hik[hik.index("<d:ProbeMatch>") : hik.index("</d:ProbeMatches>")]
    dahua = DAHUA_HELLO.decode().replace("d:Hello", "d:ProbeMatch")
    envelope = f"<env:Body><d:ProbeMatches>{inner}{dahua}</d:ProbeMatches></env:Body>"
    matches = parse_probematch(envelope)
    assert [m.scopes.table()["name"] for m in matches if m.scopes] == [
        "HIKVISION DS-2CD2385G1-I",
        "Dahua",
    ]
    assert probematch_table(envelope)["scope.name"] == "HIKVISION DS-2CD2385G1-I Dahua"


def test_truncated_envelope_gives_partial_or_error() -> None:
    """A cut envelope keeps what was closed before the cut (here Address and Types)."""
    (match,) = parse_probematch(truncated(HIKVISION))
    assert match.address.endswith("5850ed1fe385")
    assert match.xaddrs == ()
