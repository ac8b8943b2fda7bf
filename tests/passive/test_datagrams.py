"""Datagrams heard unasked -> observations, through the discovery probes' own readers."""

from __future__ import annotations

import pytest

from scanner.model import Outcome
from scanner.parse.dhip import parse_dhip
from scanner.parse.sadp import parse_sadp
from scanner.passive.datagrams import DatagramReader, protocol_of
from scanner.passive.heard import Heard
from scanner.protocols import dhip, tdp
from scanner.sim.responders import fill
from tests.passive.announcers import ASUS_NOTIFY, DAHUA_HELLO

from .wire import answer, capture, mdns_announcement

IP = "198.51.100.7"


def _read(protocol: str, *payloads: bytes, source: str = IP, port: int = 0) -> Heard:
    heard = Heard()
    reader = DatagramReader(heard)
    for payload in payloads:
        reader.read(protocol, source, port, payload)
    return heard


def _values(heard: Heard, protocol: str, field: str) -> list[str]:
    return [o.value for o in heard.findings_for(protocol).observations if o.field == field]


def test_ports_name_the_protocol_from_either_side() -> None:
    """An answer is known by its source port, an announcement or query by its destination."""
    assert protocol_of(37810, 50123) == "dhip"
    assert protocol_of(50123, 1900) == "ssdp"
    assert protocol_of(5353, 5353) == "mdns"
    assert protocol_of(50123, 80) is None


def test_ssdp_notify_alive_and_byebye_are_kept_whole() -> None:
    """Axis's captured byebye and ASUS's alive become ssdp.response; an M-SEARCH does not."""
    search = b'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nST: ssdp:all\r\n\r\n'
    alive = fill(ASUS_NOTIFY, ip=IP).encode()
    heard = _read("ssdp", capture("axis-m1014-unknown.notify.txt"), alive, search, alive)
    values = _values(heard, "ssdp", "ssdp.response")
    assert len(values) == 2
    assert "NTS: ssdp:byebye" in values[0] and "AsusWRT/386.1" in values[1]
    tally = heard.tally("ssdp")
    assert (tally.messages, tally.ignored, tally.errors) == (3, 1, 0)


def test_ssdp_search_answer_heard_in_passing() -> None:
    """Someone else's M-SEARCH answer is read by the SSDP probe's reader."""
    heard = _read("ssdp", answer("dahua-upnp-sdk", "ssdp", IP))
    (value,) = _values(heard, "ssdp", "ssdp.response")
    assert "ZheJiang Dahua Technology" in value


def test_wsd_hello_probematch_and_bye() -> None:
    """A Hello and another prober's ProbeMatch are recorded; a Bye and a Probe are not."""
    hello = fill(DAHUA_HELLO, ip=IP, message_id="6b1c0e8a-0000-4000-8000-000000000001")
    match = answer("hik-ds2cd2385g1", "wsd", "198.51.100.8")
    bye = (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
           b'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"><s:Body><d:Bye>'
           b"<d:EndpointReference/></d:Bye></s:Body></s:Envelope>")
    heard = Heard()
    reader = DatagramReader(heard)
    reader.read("wsd", IP, 3702, hello.encode())
    reader.read("wsd", "198.51.100.8", 3702, match)
    reader.read("wsd", IP, 3702, bye)
    hosts = {o.host for o in heard.findings_for("wsd").observations}
    assert hosts == {IP, "198.51.100.8"}
    assert heard.tally("wsd").notes == {"Bye": 1}
    assert heard.tally("wsd").ignored == 1


def test_sadp_answer_to_someone_elses_inquiry() -> None:
    """A ProbeMatch echoing another tool's Uuid is read; the inquiry itself is not a device."""
    from scanner.protocols.sadp import inquiry

    heard = _read("sadp", answer("hik-ds2cd2385g1", "sadp", IP), inquiry("A-TOOLS-UUID"))
    (reply,) = _values(heard, "sadp", "sadp.reply")
    assert parse_sadp(reply).model == "DS-2CD2385G1-I"
    assert _values(heard, "sadp", "mac") == ["58:50:ed:1f:e3:85"]
    assert heard.tally("sadp").ignored == 1


@pytest.mark.parametrize(
    ("protocol", "persona", "field", "expect"),
    [
        ("dhip", "lorex-w461asc", "dhip.reply", "Lorex"),
        ("ubnt", "ubnt-uvc-g4-pro", "ubnt.reply", "platform=UVC G4 Pro"),
        ("xm", "xm-ipc-6a6b", "xm.reply", "NetWork.NetCommon"),
        ("tdp", "tapo-c210", "tdp.reply", "SMART.IPCAMERA"),
    ],
)
def test_vendor_answers_heard_unasked(protocol: str, persona: str, field: str, expect: str) -> None:
    """DHIP, Ubiquiti, Xiongmai and TP-Link answers are read by their probes' own readers."""
    heard = _read(protocol, answer(persona, protocol, IP))
    (value,) = _values(heard, protocol, field)
    assert expect in value
    if protocol == "dhip":
        assert parse_dhip(value).vendor == "Lorex"
    assert heard.findings_for(protocol).statuses[IP].outcome is Outcome.OK


@pytest.mark.parametrize(
    ("protocol", "request_"),
    [
        ("ubnt", b"\x01\x00\x00\x00"),
        ("ubnt", b"\x02\x08\x00\x00"),
        ("xm", bytes.fromhex("ff00000000000000000000000000fa0500000000")),
        ("tdp", tdp.request(7)),
        ("dhip", dhip.search_request()),
    ],
)
def test_searches_are_not_devices(protocol: str, request_: bytes) -> None:
    """Another prober's search request adds no device, only an 'ignored' count."""
    heard = _read(protocol, request_)
    assert heard.findings_for(protocol).observations == []
    assert heard.tally(protocol).ignored == 1


def test_mdns_announcement_and_query() -> None:
    """zeroconf's announcement of the Hikvision _CGI._tcp persona -> instance and TXT."""
    heard = _read("mdns", mdns_announcement("hik-ds2cd2722fwd-mdns", IP))
    (instance,) = _values(heard, "mdns", "mdns.instance")
    assert instance == "HIKVISION DS-2CD2722FWD-IZS - 733050075._CGI._tcp.local."
    assert heard.findings_for("mdns").observations[0].port == 80
    synology = _read("mdns", mdns_announcement("synology-ds218", IP))
    assert "vendor=Synology" in _values(synology, "mdns", "mdns.txt")[0]
    question = b"\x04_CGI\x04_tcp\x05local\x00\x00\x0c\x00\x01"
    query = bytes.fromhex("000000000001000000000000") + question
    assert _read("mdns", query).tally("mdns").ignored == 1


def test_mdns_facts_go_to_the_address_records_of_another_host() -> None:
    """A sleep proxy announcing for another address: the facts are that address's."""
    heard = _read("mdns", mdns_announcement("synology-ds218", "198.51.100.9"), source=IP)
    assert {o.host for o in heard.findings_for("mdns").observations} == {"198.51.100.9"}


@pytest.mark.parametrize("protocol", ["ssdp", "wsd", "mdns", "sadp", "dhip", "ubnt", "xm", "tdp"])
@pytest.mark.parametrize(
    "payload",
    [b"", b"\x00" * 3, b"<ProbeMatch><Uuid>x</Uuid>" * 50, b"\xff" * 70_000,
     b"HTTP/1.1 200 OK\r\n" + b"A" * 9000, b"{" * 5000],
    ids=["empty", "short", "unclosed-xml", "oversized", "endless-header", "deep-json"],
)
def test_hostile_datagrams_never_raise(protocol: str, payload: bytes) -> None:
    """Garbage on any port is counted (ignored or unreadable), never raised."""
    heard = _read(protocol, payload)
    tally = heard.tally(protocol)
    assert tally.messages + tally.ignored + tally.errors == 1
    if len(payload) > 65_536:
        assert tally.errors == 1


def test_host_flood_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past HOSTS_MAX sources, further hosts are counted as dropped, not kept."""
    monkeypatch.setattr("scanner.passive.heard.HOSTS_MAX", 3)
    heard = Heard()
    reader = DatagramReader(heard)
    for n in range(6):
        reader.read("ssdp", f"198.51.100.{n}", 1900, capture("axis-m1014-unknown.notify.txt"))
    assert len({o.host for o in heard.findings_for("ssdp").observations}) == 3
    assert heard.dropped_hosts == 3


def test_message_flood_from_one_host_is_bounded() -> None:
    """Past MESSAGES_PER_HOST messages of one protocol from one host, the rest are counted."""
    from scanner.passive.datagrams import MESSAGES_PER_HOST

    notify = capture("axis-m1014-unknown.notify.txt")
    heard = _read("ssdp", *[notify.replace(b"1800", str(n).encode()) for n in range(300)])
    tally = heard.tally("ssdp")
    assert tally.messages == MESSAGES_PER_HOST
    assert tally.notes == {"messages beyond the per-host limit, not read": 300 - MESSAGES_PER_HOST}
    assert len(_values(heard, "ssdp", "ssdp.response")) == 32  # NOTIFY_PER_HOST distinct kept
