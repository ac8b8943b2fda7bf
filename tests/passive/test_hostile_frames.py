"""Hostile frames and captures against `listen` and `identify --pcap` (issue 12).

Each case used to end the reading with everything heard lost: an ARP frame whose lengths
lie (item 2), a request line that is no URL (item 6), a bug met on one frame, one datagram
or one stream (isolation). Now each is dropped or becomes one host's status, counted, and
the rest of the capture is read.
"""

from __future__ import annotations

import dataclasses
import json
import struct
from pathlib import Path
from typing import Any

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.packet import Raw

from scanner.cli import main
from scanner.passive import datagrams
from scanner.passive import frames as frame_module
from scanner.passive.frames import FRAGMENT_BYTES_MAX, FRAGMENTED_MAX, FrameReader
from scanner.passive.heard import Heard
from scanner.passive.streams import Streams
from scanner.protocols import http
from scanner.protocols.registry import DEFAULT_PORTS
from tests.passive.announcers import arp_announcement

from .wire import answer, capture, ether, tcp_stream, udp, write_pcap

AXIS_MAC = "ac:cc:8e:27:0a:d8"
CAM, CLIENT = "192.0.2.50", "192.0.2.2"
NOTIFY = capture("axis-m1014-unknown.notify.txt")


def _arp(hwlen: int, plen: int, ptype: int = 0x0800, hwtype: int = 1) -> Any:
    """An ARP reply whose header claims these lengths, its addresses that long."""
    body = struct.pack("!HHBBH", hwtype, ptype, hwlen, plen, 2)
    body += b"\xac" * hwlen + b"\x0a" * plen + b"\x02" * hwlen + b"\x0b" * plen
    return Ether(src=AXIS_MAC, dst="ff:ff:ff:ff:ff:ff", type=0x0806) / Raw(body)


BAD_ARP = [_arp(6, 6), _arp(6, 16), _arp(8, 4), _arp(0, 0), _arp(6, 4, ptype=0x86DD),
           _arp(6, 4, hwtype=32), _arp(6, 2)]


def _document(tmp_path: Path, frames: list[Any], capsys: pytest.CaptureFixture[str]
              ) -> dict[str, Any]:
    """`camscan identify --pcap` on `frames`: exit 0 and the JSON document."""
    path = write_pcap(tmp_path / "hostile.pcap", frames)
    with pytest.raises(SystemExit) as stopped:
        main(["identify", "--pcap", str(path), "-f", "json"])
    out = capsys.readouterr()
    assert stopped.value.code in (0, None), out.err
    assert "Traceback" not in out.err and "internal error" not in out.err
    document: dict[str, Any] = json.loads(out.out)
    return document


def _ips(document: dict[str, Any]) -> set[str]:
    return {d["ip"] for d in document["devices"]}


def test_arp_with_lying_lengths_is_dropped_and_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ARP frames that are not IPv4-over-Ethernet with hlen 6 and plen 4 are counted as
    unreadable; the good announcement and the NOTIFY after them are still read."""
    assert all(ARP in Ether(bytes(f)) for f in BAD_ARP)
    frames = [*BAD_ARP, arp_announcement(AXIS_MAC, "192.0.2.9"),
              udp("192.0.2.20", 1900, "239.255.255.250", 1900, NOTIFY)]
    document = _document(tmp_path, frames, capsys)
    assert _ips(document) == {"192.0.2.9", "192.0.2.20"}
    arp = document["scan"]["options"]["capture"]["protocols"]["arp"]
    assert arp.startswith("ok: 1 message from 1 host") and f"{len(BAD_ARP)} unreadable" in arp


def test_request_line_that_is_no_url_is_another_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`GET http://[x HTTP/1.1`: urlsplit raises; the answer counts as some page other than
    `/` (its headers only) and the capture is read to the end."""
    request = tcp_stream(CLIENT, 41000, CAM, 80, b"GET http://[x HTTP/1.1\r\n\r\n", isn=50)
    answer = b"HTTP/1.1 200 OK\r\nServer: Boa/0.94.14rc21\r\nContent-Length: 18\r\n\r\n"
    answer += b"<title>Web</title>"
    frames = [*request, *tcp_stream(CAM, 80, CLIENT, 41000, answer),
              udp("192.0.2.20", 1900, "239.255.255.250", 1900, NOTIFY)]
    document = _document(tmp_path, frames, capsys)
    assert _ips(document) == {CAM, "192.0.2.20"}
    (cam,) = [d for d in document["devices"] if d["ip"] == CAM]
    fields = {o["field"] for o in cam["observations"]}
    assert "http.server" in fields and "http.title" not in fields


def test_a_bug_on_one_datagram_is_that_hosts_status(monkeypatch: pytest.MonkeyPatch) -> None:
    """A datagram reader that raises for one host gives that host `error: <Exception>`;
    the next host's NOTIFY is read."""
    real = datagrams.READERS["ssdp"]

    def reader(heard: Heard, state: Any, datagram: Any) -> bool:
        if datagram.source == "192.0.2.21":
            raise AttributeError("'NoneType' object has no attribute 'group'")
        return real(heard, state, datagram)

    monkeypatch.setitem(datagrams.READERS, "ssdp", reader)
    heard = Heard()
    frames = FrameReader(heard)
    for source in ("192.0.2.21", "192.0.2.22"):
        frames.read(Ether(bytes(udp(source, 1900, "239.255.255.250", 1900, NOTIFY))))
    statuses = heard.findings_for("ssdp").statuses
    assert statuses["192.0.2.21"].label() == (
        "error: AttributeError: 'NoneType' object has no attribute 'group'")
    assert statuses["192.0.2.22"].label() == "ok"


def test_a_bug_on_one_frame_is_counted_and_reading_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A frame whose handler raises is counted in the `frames` label; later frames count."""
    heard = Heard()
    frames = FrameReader(heard)

    def broken(heard: Heard, source: str, arp: Any) -> None:
        raise TypeError("unsupported operand")

    readings = tuple(dataclasses.replace(r, hear=broken) for r in frame_module.LAYER_READINGS)
    monkeypatch.setattr(frame_module, "LAYER_READINGS", readings)
    frames.read(Ether(bytes(arp_announcement(AXIS_MAC, "192.0.2.9"))))
    frames.read(Ether(bytes(udp("192.0.2.22", 1900, "239.255.255.250", 1900, NOTIFY))))
    assert heard.frames_label() == (
        "error: 1 frames not read (a bug), last: TypeError: unsupported operand")
    assert heard.findings_for("ssdp").statuses["192.0.2.22"].label() == "ok"


def test_a_bug_on_one_stream_is_that_hosts_status(monkeypatch: pytest.MonkeyPatch) -> None:
    """Judging one server's stream raises: that host's http status names the exception,
    the other server's page is still recorded."""
    real = http._record_captured

    def record(recorders: Any, documents: Any, page: Any, target: str | None) -> None:
        if recorders["http"].host == "192.0.2.51":
            raise KeyError("content-type")
        real(recorders, documents, page, target)

    monkeypatch.setattr(http, "_record_captured", record)
    heard = Heard()
    collected = Streams(set(DEFAULT_PORTS))
    frames = FrameReader(heard, collected)
    page = b"HTTP/1.1 200 OK\r\nServer: Boa/0.94.14rc21\r\nContent-Length: 0\r\n\r\n"
    for n, server in enumerate(("192.0.2.51", "192.0.2.52")):
        for frame in tcp_stream(server, 80, CLIENT, 41100 + n, page):
            frames.read(Ether(bytes(frame)))
    collected.finish(heard)
    statuses = heard.findings_for("http").statuses
    assert statuses["192.0.2.51"].label() == "error: KeyError: 'content-type'"
    assert statuses["192.0.2.52"].label() == "ok"


def test_a_host_that_is_no_address_is_never_kept() -> None:
    """Whatever a reader hands on, only an IP address becomes a host (the session sorts
    hosts as addresses: a bytes repr used to end the whole run with ValueError)."""
    heard = Heard()
    heard.add("arp", "b'\\n\\n\\n\\n\\n\\n'", None, "mac", AXIS_MAC)
    heard.ok("arp", "192.0.2.9")
    assert heard.hosts == {"192.0.2.9"} and heard.not_addresses == 1



def _fragments(source: str, ident: int, pieces: list[tuple[int, bytes, bool]]) -> list[Any]:
    """IPv4 fragments of one UDP datagram: (offset in bytes, payload, more fragments)."""
    return [ether() / IP(src=source, dst=CLIENT, id=ident, proto=17, frag=offset // 8,
                         flags="MF" if more else 0) / Raw(data)
            for offset, data, more in pieces]


def _probematch_fragments() -> list[tuple[int, bytes, bool]]:
    """A real WS-Discovery ProbeMatch (UDP header included) cut in 512-byte pieces."""
    whole = bytes(UDP(sport=3702, dport=50000) / answer("hik-ds2cd2385g1", "wsd", "x"))
    cuts = list(range(0, len(whole), 512))
    return [(at, whole[at : at + 512], at + 512 < len(whole)) for at in cuts]


def test_overlapping_fragments_are_refused_and_repeats_ignored() -> None:
    """A datagram whose fragments overlap is never put together (RFC 5722's rule) and is
    counted; the same fragment twice (a capture on both sides of a bridge) does no harm."""
    pieces = _probematch_fragments()
    overlap = [pieces[0], (8, b"X" * 504, True), *pieces[1:]]
    heard = Heard()
    frames = FrameReader(heard)
    for frame in _fragments("192.0.2.30", 7, overlap):
        frames.read(Ether(bytes(frame)))
    assert "192.0.2.30" not in heard.hosts
    assert any("fragments refused" in what for what in heard.frame_notes)
    twice = [pieces[0], pieces[0], *pieces[1:], pieces[-1]]
    for frame in _fragments("192.0.2.31", 8, twice):
        frames.read(Ether(bytes(frame)))
    assert "wsd.probematch" in {o.field for o in heard.findings_for("wsd").observations}


def test_fragments_in_flight_stay_within_the_byte_budget() -> None:
    """Datagrams that never complete, each as large as IPv4 allows: the bytes held never
    pass FRAGMENT_BYTES_MAX nor the datagrams FRAGMENTED_MAX, and a real answer sent
    after the flood is still put together."""
    heard = Heard()
    frames = FrameReader(heard)
    chunk = b"z" * 1480
    most = 0
    for ident in range(FRAGMENTED_MAX * 2):
        flood = [(at, chunk, True) for at in range(0, 60_000, 1480)]  # no last fragment
        for frame in _fragments(f"192.0.2.{100 + ident % 50}", ident, flood):
            frames.read(Ether(bytes(frame)))
        most = max(most, frames._fragments.held)
    assert most <= FRAGMENT_BYTES_MAX
    assert len(frames._fragments._pending) <= FRAGMENTED_MAX
    pieces = _probematch_fragments()
    for frame in _fragments("192.0.2.32", 9, pieces):
        frames.read(Ether(bytes(frame)))
    assert "192.0.2.32" in {o.host for o in heard.findings_for("wsd").observations}


@pytest.mark.parametrize("tagged", [False, True], ids=["untagged", "802.1Q"])
def test_fragments_read_from_raw_frames_are_put_together(tagged: bool) -> None:
    """read_bytes reads IPv4 fragments without scapy (its fixed header is enough): the
    shuffled pieces of a real ProbeMatch still give its observation, tagged or not."""
    heard = Heard()
    frames = FrameReader(heard)
    for frame in reversed(_fragments("192.0.2.33", 10, _probematch_fragments())):
        if tagged:
            frame = ether() / Dot1Q(vlan=5) / frame[IP]
        frames.read_bytes(bytes(frame))
    assert "192.0.2.33" in {o.host for o in heard.findings_for("wsd").observations}


def test_a_session_keeps_observations_within_its_text_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Distinct NOTIFYs from many hosts: past PASSIVE_TEXT_MAX characters of values, more
    observations are counted and dropped (200 MB of them once took 672 MB)."""
    from scanner import limits
    from scanner.passive.session import labels

    monkeypatch.setattr(limits, "PASSIVE_TEXT_MAX", len(NOTIFY) * 3)
    heard = Heard()
    frames = FrameReader(heard)
    for n in range(1, 11):
        frames.read(Ether(bytes(udp(f"192.0.2.{n}", 1900, "239.255.255.250", 1900, NOTIFY))))
    assert heard.text <= len(NOTIFY) * 3 and heard.over_budget == 7
    assert len(heard.findings_for("ssdp").observations) == 3
    assert "7 observations past the" in labels(heard, ("ssdp",))["budget"]
