"""TCP streams in a capture -> what the unicast probes record: HTTP, RTSP, TLS, banners.

Reassembly is deliberately simple and bounded: per direction of a connection on a camera
port, payload is placed by sequence number (relative to the SYN, or to the first segment
seen), repeats are ignored, and the stream stops at the first gap or at its byte cap. Then
each direction is judged by what it starts with, so either side may be the server:

- ``HTTP/1.x`` answers go through the HTTP probe's own reader (scanner.protocols.http
  ``read_response``: chunked, gzip, caps) and recorder; the client's request line of the
  same connection says which page it is: ``/`` (or unknown) -> server, auth, title, body;
  ``/favicon.ico`` -> ``http.favicon_md5``; any other page -> its headers only. A body
  that is a UPnP description or an ONVIF GetDeviceInformationResponse is recorded as such.
- ``RTSP/1.0`` answers -> the RTSP probe's recorder (server, realm, SDP).
- a TLS ServerHello -> the certificate's subject and issuer (TLS 1.2 and older; a TLS 1.3
  handshake hides the certificate and is counted as such).
- the first segment a server on port 21 or 23 sends -> ``ftp.banner``/``telnet.banner``.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from scanner import limits
from scanner.errors import DecodeError
from scanner.model import Outcome
from scanner.parse.html import decode_text
from scanner.parse.http import content_length, find_head_end, is_chunked, parse_head
from scanner.parse.onvif import parse_device_information
from scanner.parse.upnp import parse_upnp_description
from scanner.passive.heard import Heard
from scanner.passive.tls_stream import looks_like_server_hello, server_handshake
from scanner.protocols.banner import banner_text
from scanner.protocols.host import ProbeFailed, Recorder
from scanner.protocols.http import record_page
from scanner.protocols.rtsp import record_answer as record_rtsp
from scanner.protocols.tls import record_certificate
from scanner.protocols.web import Response, read_response

FLOWS_MAX = 4096
"""Most connection directions followed (a capture of a /16 sweep is mostly SYN/RST)."""
SERVER_BYTES_MAX = limits.HTTP_HEAD_MAX + limits.HTTP_BODY_MAX
CLIENT_BYTES_MAX = 4 * limits.KIB
SEGMENTS_MAX = 512
STREAMS_BYTES_MAX = 64 * limits.KIB * limits.KIB
"""Payload bytes kept over all connections of a capture."""
FOLLOWED_MAX = 64
"""Ports beyond the camera set followed because an SSDP LOCATION or ONVIF XAddr named them."""
ANSWERS_PER_FLOW = 8
_REQUEST = re.compile(
    rb"^(?:GET|HEAD|POST|PUT|OPTIONS|DESCRIBE|SETUP|PLAY|GET_PARAMETER) +(\S{1,1024}) +"
    rb"(?:HTTP|RTSP)/", re.MULTILINE)
Key = tuple[str, int, str, int]
"""(source, source port, destination, destination port) of one direction."""


_MASK, _HALF = 0xFFFFFFFF, 0x80000000


@dataclass
class _Flow:
    """One direction's segments by sequence number, kept in bounds until the end."""

    cap: int
    isn: int | None = None
    segments: dict[int, bytes] = field(default_factory=dict)
    kept: int = 0

    def add(self, seq: int, syn: bool, payload: bytes) -> None:
        if syn:
            self.isn = seq
        if not payload or len(self.segments) >= SEGMENTS_MAX or self.kept >= self.cap:
            return
        if seq not in self.segments:
            self.segments[seq] = payload[: self.cap - self.kept]
            self.kept += len(self.segments[seq])

    def _offsets(self) -> dict[int, bytes]:
        """Segments by offset from the stream's start: the SYN's, else the earliest seen."""
        if not self.segments:
            return {}
        if self.isn is not None:
            base = (self.isn + 1) & _MASK
        else:
            first = next(iter(self.segments))
            base = min(self.segments, key=lambda seq: ((seq - first) & _MASK) ^ _HALF)
        offsets = {(seq - base) & _MASK: data for seq, data in self.segments.items()}
        return {offset: data for offset, data in offsets.items() if offset < _HALF}

    def data(self) -> bytes:
        """The bytes from the start up to the first gap, at most `cap`."""
        out = bytearray()
        for offset, data in sorted(self._offsets().items()):
            if offset > len(out):
                break
            out += data[len(out) - offset :]
        return bytes(out[: self.cap])

    def first(self) -> bytes:
        return self._offsets().get(0, b"")


@dataclass
class Streams:
    """Collects the TCP segments of connections on `ports` (see the module docstring)."""

    ports: set[int]
    """Camera ports, plus the ports discovery answers pointed to (:meth:`follow`)."""
    flows: dict[Key, _Flow] = field(default_factory=dict)
    dropped: int = 0
    followed: int = 0
    kept: int = 0

    def follow(self, port: int) -> None:
        """Also follow connections to `port` (a LOCATION's or an XAddr's), within bounds."""
        if port not in self.ports and self.followed < FOLLOWED_MAX:
            self.ports.add(port)
            self.followed += 1

    def feed(self, key: Key, seq: int, syn: bool, payload: bytes) -> None:
        if key[1] not in self.ports and key[3] not in self.ports:
            return
        flow = self.flows.get(key)
        if flow is None:
            if len(self.flows) >= FLOWS_MAX:
                self.dropped += 1
                return
            cap = SERVER_BYTES_MAX if key[1] in self.ports else CLIENT_BYTES_MAX
            flow = self.flows[key] = _Flow(cap)
        if self.kept >= STREAMS_BYTES_MAX:
            payload = b""  # over the budget: the SYN still counts, the bytes do not
        before = flow.kept
        flow.add(seq, syn, payload)
        self.kept += flow.kept - before

    def finish(self, heard: Heard) -> None:
        """Judge every stream and record what the servers said into `heard`."""
        if self.flows:
            asyncio.run(self._judge_all(heard))
        if self.dropped:
            heard.tally("http").note("connections not followed (too many)")
        if self.kept >= STREAMS_BYTES_MAX:
            heard.tally("http").note("streams cut at the capture's byte budget")

    async def _judge_all(self, heard: Heard) -> None:
        """Each stream on its own: a bug met on one server's bytes is that host's
        ``error: <Exception>: ...`` for the protocol, and the other streams are still read
        (zgrab2's isolation, issue 12)."""
        for key, flow in self.flows.items():
            protocol = "http"
            try:
                data = flow.data()
                protocol = _protocol(key, data)
                await self._judge(heard, key, flow, data)
            except Exception as exc:  # noqa: BLE001 - a bug, isolated to this stream
                heard.fault(exc, protocol, key[0])

    async def _judge(self, heard: Heard, key: Key, flow: _Flow, data: bytes) -> None:
        if data.startswith((b"HTTP/1.", b"RTSP/1.")):
            await _answers(heard, key, data, data[:4].decode().lower(), self._requests(key))
        elif looks_like_server_hello(data):
            _tls(heard, key, data)
        elif key[1] in (21, 23) and flow.first():
            _banner(heard, key, flow.first())

    def _requests(self, key: Key) -> list[str]:
        """Request targets the client sent on the same connection, in order."""
        reverse = self.flows.get((key[2], key[3], key[0], key[1]))
        found = _REQUEST.findall(reverse.data()) if reverse else []
        return [target.decode("latin-1") for target in found[:ANSWERS_PER_FLOW]]


def _store(heard: Heard, rec: Recorder) -> None:
    for item in rec.items:
        heard.add(rec.probe, item.host, item.port, item.field, item.value)
    heard.tally(rec.probe).messages += 1
    heard.ok(rec.probe, rec.host)


def _tls(heard: Heard, key: Key, data: bytes) -> None:
    rec = Recorder(key[0], key[1], "tls")
    try:
        hello = server_handshake(data)
    except DecodeError as exc:
        heard.bad("tls", key[0], f"unreadable handshake: {exc}")
        return
    if hello.certificate is None:
        what = "certificate encrypted" if hello.version == "TLS 1.3" else "no certificate"
        heard.tally("tls").note(f"{hello.version} handshakes ({what}, skipped)")
        return
    problem = record_certificate(rec, hello.certificate)
    if problem:
        heard.bad("tls", key[0], problem)
        return
    _store(heard, rec)


def _banner(heard: Heard, key: Key, first: bytes) -> None:
    probe, field_name = ("ftp", "ftp.banner") if key[1] == 21 else ("telnet", "telnet.banner")
    rec = Recorder(key[0], key[1], probe)
    rec.add(field_name, banner_text(first[: limits.BANNER_MAX], field_name), limits.BANNER_MAX)
    if rec.items:
        _store(heard, rec)


def _protocol(key: Key, data: bytes) -> str:
    """The probe a stream's findings go under (for a status when judging it fails)."""
    if data.startswith(b"RTSP/1."):
        return "rtsp"
    if looks_like_server_hello(data):
        return "tls"
    return {21: "ftp", 23: "telnet"}.get(key[1], "http")


async def _answers(heard: Heard, key: Key, data: bytes, protocol: str, targets: list[str]) -> None:
    """Every answer of one HTTP or RTSP server stream, recorded as the live probe would."""
    answers = await _read_all(data, protocol.upper())
    if protocol == "rtsp":
        rec = Recorder(key[0], key[1], "rtsp")
        for answer in answers:
            record_rtsp(rec, answer)
        if answers:
            _store(heard, rec)
        return
    recorders = {name: Recorder(key[0], key[1], name) for name in ("http", "upnp", "onvif")}
    paths: list[str | None] = [*targets]
    paths += [None] * (len(answers) - len(paths))
    for answer, target in zip(answers, paths, strict=False):
        _record_http(recorders, answer, target)
    for rec in recorders.values():
        if rec.items:
            _store(heard, rec)


def split_answers(data: bytes, protocol: str) -> list[bytes]:
    """A server stream cut into its answers: each head, plus a body of Content-Length bytes.

    A chunked body or one without a length runs to the end of the stream (HTTP closes the
    connection after it); an RTSP answer without Content-Length has no body (RFC 2326 §12.14).
    """
    messages: list[bytes] = []
    pos = 0
    while pos < len(data) and len(messages) < ANSWERS_PER_FLOW:
        rest = data[pos:]
        end = find_head_end(rest)
        try:
            head = parse_head(rest[:end], protocol) if end > 0 else None
        except DecodeError:
            head = None
        length = content_length(head) if head is not None else None
        if head is None or is_chunked(head) or (length is None and protocol == "HTTP"):
            messages.append(rest)
            break
        messages.append(rest[: end + (length or 0)])
        pos += end + (length or 0)
    return messages


async def _read_all(data: bytes, protocol: str) -> list[Response]:
    """Every answer in one server stream, each read exactly as the live probes read one."""
    answers: list[Response] = []
    loop = asyncio.get_running_loop()
    for message in split_answers(data, protocol):
        reader = asyncio.StreamReader(limit=limits.HTTP_HEAD_MAX)
        reader.feed_data(message)
        reader.feed_eof()
        try:
            answer = await read_response(
                reader, loop.time() + 1.0, 1.0, protocol=protocol, body_to_eof=protocol == "HTTP"
            )
        except (ProbeFailed, DecodeError, ValueError, asyncio.IncompleteReadError):
            break
        answers.append(answer)
    return answers


def _record_http(recorders: dict[str, Recorder], page: Response, target: str | None) -> None:
    """One HTTP answer, recorded according to the page it answers (module docstring), under
    the probe that records it live: http, upnp (a description) or onvif."""
    path = request_path(target or "/")
    text = decode_text(page.body[: limits.XML_MAX], page.head.get("content-type"))
    if "GetDeviceInformationResponse" in text[:4096] and _parses(parse_device_information, text):
        recorders["onvif"].add("onvif.device_information", text)
        return
    if "<root" in text[:512] and _parses(parse_upnp_description, text):
        recorders["upnp"].add("upnp.description", text)
        return
    rec = recorders["http"]
    if path.endswith("/favicon.ico"):
        if page.head.status == 200 and page.body and page.complete:
            md5 = hashlib.md5(page.body, usedforsecurity=False).hexdigest()
            rec.add("http.favicon_md5", md5)
        return
    if path != "/":
        page = Response(page.head, b"", Outcome.OK)
    record_page(rec, page)


def request_path(target: str) -> str:
    """The path a request line's target names: origin form (``/a?b``) or absolute form
    (``http://host/a``). A target that is no URL (``http://[x``: urlsplit raises, issue 12,
    item 6) is kept whole, so it counts as some page other than ``/``."""
    if "://" not in target:
        return target.split("?", 1)[0]
    try:
        return urlsplit(target).path or "/"
    except ValueError:
        return target


def _parses(parser: Callable[[str], object], text: str) -> bool:
    try:
        parser(text)
    except DecodeError:
        return False
    return True
