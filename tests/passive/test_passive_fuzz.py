"""Random bytes where frames, streams and TLS handshakes are expected: never an exception.

Network input is hostile; the passive readers must end every input as observations, a
count or an error status, whatever the bytes.
"""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether

from scanner.errors import DecodeError
from scanner.parse.tls import server_handshake
from scanner.passive.datagrams import PORTS
from scanner.passive.frames import FrameReader
from scanner.passive.heard import Heard
from scanner.passive.streams import Streams
from scanner.protocols.web import split_answers

from .wire import ether, tcp_stream

PREFIXES = st.sampled_from(
    [b"", b"HTTP/1.1 200 OK\r\n", b"RTSP/1.0 401 Unauthorized\r\n", b"\x16\x03\x03\x00\x40\x02",
     b"NOTIFY * HTTP/1.1\r\n", b"<ProbeMatch>", b"\x20\x00\x00\x00DHIP", b"\xff\x01\x00\x00"]
)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=1600))
def test_any_frame(data: bytes) -> None:
    """An arbitrary Ethernet frame is read or ignored."""
    FrameReader(Heard()).read_bytes(data)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([*sorted(PORTS), 67, 68]), PREFIXES, st.binary(max_size=1200))
def test_any_datagram_on_every_port(port: int, prefix: bytes, data: bytes) -> None:
    """An arbitrary datagram to any port camscan listens on is read, ignored or counted."""
    frame = ether() / IP(src="192.0.2.9", dst="239.255.255.250") / UDP(sport=port, dport=port)
    FrameReader(Heard()).read(Ether(bytes(frame / (prefix + data))))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([80, 443, 554, 21, 23]), PREFIXES, st.binary(max_size=3000))
def test_any_server_stream(port: int, prefix: bytes, data: bytes) -> None:
    """An arbitrary server stream on a camera port ends recorded, counted or ignored."""
    heard = Heard()
    streams = Streams({port})
    reader = FrameReader(heard, streams)
    for frame in tcp_stream("192.0.2.9", port, "192.0.2.2", 40000, prefix + data, mss=700):
        reader.read(Ether(bytes(frame)))
    streams.finish(heard)
    assert split_answers(prefix + data, "HTTP") is not None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_tls_walker_raises_only_decode_error(data: bytes) -> None:
    """Whatever follows a ServerHello record header, the walker answers or raises DecodeError."""
    with contextlib.suppress(DecodeError):
        server_handshake(b"\x16\x03\x03" + len(data).to_bytes(2, "big") + b"\x02" + data)


def test_tcp_flags_only_frames() -> None:
    """Segments with no payload (SYN, RST) open and close nothing by themselves."""
    heard = Heard()
    streams = Streams({80})
    reader = FrameReader(heard, streams)
    for flags in ("S", "SA", "R", "RA", "F"):
        frame = ether() / IP(src="192.0.2.9", dst="192.0.2.2") / TCP(sport=80, flags=flags)
        reader.read(Ether(bytes(frame)))
    streams.finish(heard)
    assert heard.open_ports == {"192.0.2.9": {80}}
    assert heard.findings == {}
