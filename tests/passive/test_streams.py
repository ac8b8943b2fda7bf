"""TCP streams in a capture -> what the HTTP, RTSP, TLS and banner probes would record.

The servers' bytes are the unicast personas' real answers (scanner/sim/data/personas.toml)
rendered by the lab's own server code, and a real TLS handshake made in memory with a
persona's certificate (its subject is a real device's, recog s0105).
"""

from __future__ import annotations

import contextlib
import hashlib
import random
import ssl
from importlib import resources
from typing import Any

import pytest

from scanner.net.secure import client_context
from scanner.passive.frames import FrameReader
from scanner.passive.heard import Heard
from scanner.passive.streams import Streams
from scanner.protocols.registry import DEFAULT_PORTS
from scanner.sim.personas import load_personas
from scanner.sim.servers import render

from .wire import capture, tcp_stream

CAM, CLIENT = "192.0.2.50", "192.0.2.2"
PERSONAS = {p.name: p for p in load_personas()}


def _run(*frames: Any, shuffle: bool = False) -> Heard:
    heard = Heard()
    streams = Streams(set(DEFAULT_PORTS))
    reader = FrameReader(heard, streams)
    frames_list = list(frames)
    if shuffle:
        random.Random(7).shuffle(frames_list)
    for frame in frames_list:
        reader.read(frame)
    streams.finish(heard)
    return heard


def _fields(heard: Heard, probe: str) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for obs in heard.findings_for(probe).observations:
        table.setdefault(obs.field, []).append(obs.value)
    return table


def _request(target: str, port: int, cport: int, protocol: str = "HTTP/1.1") -> list[Any]:
    text = f"GET {target} {protocol}\r\nHost: {CAM}\r\n\r\n".encode()
    return tcp_stream(CLIENT, cport, CAM, port, text, isn=50, syn=True)


def test_http_answer_in_shuffled_segments_is_read_like_the_probe() -> None:
    """Hikvision's 401 page, cut in 40-byte segments delivered out of order and twice."""
    page = render(PERSONAS["hikvision-ipc"].http, "HTTP/1.1")  # type: ignore[arg-type]
    server = tcp_stream(CAM, 80, CLIENT, 41000, page, mss=40)
    heard = _run(*_request("/", 80, 41000), *server, *server[3:6], shuffle=True)
    fields = _fields(heard, "http")
    assert fields["http.server"] == ["Hikvision-Webs"]
    assert fields["http.www_authenticate"] == ['Basic realm="hikvision"']
    assert fields["http.title"] == ["Document Error: Unauthorized"]
    assert heard.findings_for("http").observations[0].port == 80


def test_a_gap_stops_the_stream() -> None:
    """A lost segment: the head before it still counts, the body after it does not."""
    page = render(PERSONAS["hikvision-ipc"].http, "HTTP/1.1")  # type: ignore[arg-type]
    server = tcp_stream(CAM, 80, CLIENT, 41001, page, mss=60)
    heard = _run(*server[:3], *server[5:])
    fields = _fields(heard, "http")
    assert fields.get("http.server") == ["Hikvision-Webs"]
    assert "http.title" not in fields


def test_favicon_and_other_pages_are_told_apart_by_the_request() -> None:
    """/favicon.ico gives its md5 only; another page gives its headers only."""
    icon = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n\x00\x00\x01\x00\x01\x00"
    page = render(PERSONAS["hikvision-ipc"].http, "HTTP/1.1")  # type: ignore[arg-type]
    heard = _run(
        *_request("/favicon.ico", 80, 41002), *tcp_stream(CAM, 80, CLIENT, 41002, icon),
        *_request("/doc/page/login.asp", 80, 41003), *tcp_stream(CAM, 80, CLIENT, 41003, page),
    )
    fields = _fields(heard, "http")
    assert fields["http.favicon_md5"] == [hashlib.md5(icon[-6:]).hexdigest()]
    assert "http.title" not in fields and "http.body" not in fields
    assert fields["http.server"] == ["Hikvision-Webs"]


def test_onvif_and_upnp_documents_in_http_answers() -> None:
    """A GetDeviceInformationResponse and a UPnP description are recorded as such."""
    devinfo = capture("amcrest-ip5m-t1277ew-ai-v2.800.00ac003.0.r.devinfo.xml")
    upnp = capture("axis-m1014-unknown.upnp.xml")
    answers = [
        b"HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\nContent-Length: "
        + str(len(body)).encode() + b"\r\n\r\n" + body for body in (devinfo, upnp)
    ]
    heard = _run(*tcp_stream(CAM, 80, CLIENT, 41004, answers[0]),
                 *tcp_stream(CAM, 49152, CLIENT, 41005, answers[1]))
    onvif, upnp_fields = _fields(heard, "onvif"), _fields(heard, "upnp")
    assert "IP5M-T1277EW-AI" in onvif["onvif.device_information"][0]
    assert "urn:axis-com:service:BasicService:1" in upnp_fields["upnp.description"][0]
    assert _fields(heard, "http") == {}


def test_rtsp_options_then_describe_on_one_connection() -> None:
    """Hikvision's OPTIONS answer and DESCRIBE challenge: both realms are recorded."""
    persona = PERSONAS["hikvision-ipc"]
    data = b"".join(
        render(persona.rtsp_answer(m), "RTSP/1.0", cseq=str(n), always_length=False)  # type: ignore[arg-type]
        for n, m in enumerate(("OPTIONS", "DESCRIBE"), start=1)
    )
    heard = _run(*tcp_stream(CAM, 554, CLIENT, 41006, data, mss=100))
    challenges = _fields(heard, "rtsp")["rtsp.www_authenticate"]
    assert challenges[1] == 'Basic realm="IP Camera(C1214)"'
    assert challenges[0].startswith('Digest realm="IP Camera(C1214)"')


def test_telnet_banner_from_the_first_segment() -> None:
    """The telnet greeting a Hikvision camera sends unasked becomes telnet.banner."""
    text = PERSONAS["hikvision-ipc"].telnet.text.encode()  # type: ignore[union-attr]
    heard = _run(*tcp_stream(CAM, 23, CLIENT, 41007, b"\xff\xfb\x01" + text))
    assert _fields(heard, "telnet") == {"telnet.banner": ["192.0.0.64 login:"]}


def _handshake(maximum: ssl.TLSVersion) -> bytes:
    """Everything a TLS server says in a handshake made in memory (no socket)."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.maximum_version = maximum
    with resources.as_file(resources.files("scanner.sim") / "data/certs/hikvision-nvr.pem") as pem:
        server_ctx.load_cert_chain(pem)
    bios = [ssl.MemoryBIO() for _ in range(4)]
    client = client_context().wrap_bio(bios[0], bios[1], server_side=False)
    server = server_ctx.wrap_bio(bios[2], bios[3], server_side=True)
    said = bytearray()
    for _ in range(10):
        for side in (client, server):
            with contextlib.suppress(ssl.SSLWantReadError):
                side.do_handshake()
        bios[2].write(bios[1].read())
        chunk = bios[3].read()
        said += chunk
        bios[0].write(chunk)
    return bytes(said)


def test_tls12_certificate_names_are_read_from_the_handshake() -> None:
    """A TLS 1.2 server's Certificate message gives tls.subject and tls.issuer."""
    heard = _run(*tcp_stream(CAM, 443, CLIENT, 41008, _handshake(ssl.TLSVersion.TLSv1_2)))
    fields = _fields(heard, "tls")
    subject = "CN=www.hikvision.com,OU=DVRNVR,O=HIKVISION,L=HangZhou,ST=ZheJiang,C=CN"
    assert fields == {"tls.subject": [subject], "tls.issuer": [subject]}


def test_tls13_handshake_is_counted_not_read() -> None:
    """TLS 1.3 encrypts the certificate: nothing recorded, the status says why."""
    heard = _run(*tcp_stream(CAM, 443, CLIENT, 41009, _handshake(ssl.TLSVersion.TLSv1_3)))
    assert heard.findings_for("tls").observations == []
    assert heard.tally("tls").notes == {"TLS 1.3 handshakes (certificate encrypted, skipped)": 1}


def test_connection_flood_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past FLOWS_MAX directions, new connections are not followed and the status says so."""
    monkeypatch.setattr("scanner.passive.streams.FLOWS_MAX", 4)
    page = render(PERSONAS["hikvision-ipc"].http, "HTTP/1.1")  # type: ignore[arg-type]
    frames = [f for n in range(10) for f in tcp_stream(CAM, 80, CLIENT, 42000 + n, page)]
    heard = _run(*frames)
    assert heard.tally("http").notes == {"connections not followed (too many)": 1}
    assert len(heard.findings_for("http").observations) > 0


@pytest.mark.parametrize(
    "garbage",
    [
        b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 5000,
        b"HTTP/1.1 999\r\n\r\n",
        b"RTSP/1.0 200 OK\r\nContent-Length: 99999999\r\n\r\nv=0",
        b"\x16\x03\x03\x00\x05\x02\x00\x00\x01",
    ],
    ids=["endless-head", "odd-status", "lying-length", "cut-hello"],
)
def test_hostile_streams_never_raise(garbage: bytes) -> None:
    """Broken answers end as nothing recorded or an error status, never an exception."""
    heard = _run(*tcp_stream(CAM, 80 if garbage[:1] == b"H" else 554, CLIENT, 43000, garbage))
    for probe in ("http", "rtsp", "tls"):
        tally = heard.tally(probe)
        assert tally.messages + tally.errors <= 1


def test_page_with_a_hostile_charset_in_a_capture() -> None:
    """identify --pcap on a page declaring charset=rot13 and <meta charset="hex"> reads its
    title (issue 12, item 1: it used to end the reading with LookupError)."""
    body = b'<meta charset="hex"><title>DVR Login</title>'
    page = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=rot13\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    heard = _run(*_request("/", 80, 41010), *tcp_stream(CAM, 80, CLIENT, 41010, page))
    assert _fields(heard, "http")["http.title"] == ["DVR Login"]
