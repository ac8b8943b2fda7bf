"""TCP streams in a capture -> what the unicast probes record, through the protocols' hooks.

Reassembly is deliberately simple and bounded: per direction of a connection on a camera
port, payload is placed by sequence number (relative to the SYN, or to the first segment
seen), repeats are ignored, and the stream stops at the first gap or at its byte cap. Then
each direction is offered to the TCP protocols' stream hooks (``STREAMS`` in
scanner.protocols.registry, each a :class:`~scanner.protocols.stream.StreamReading`) in
order, so either side may be the server: the first that claims it records it with the code
its probe records a live answer with. This module names no protocol: it iterates the registry.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from dataclasses import dataclass, field

from scanner import limits
from scanner.passive.heard import Heard
from scanner.protocols.registry import DOCUMENTS, STREAMS
from scanner.protocols.stream import ANSWERS_PER_STREAM, ServerStream, StreamReading

FLOWS_MAX = 4096
"""Most connection directions followed (a capture of a /16 sweep is mostly SYN/RST)."""
SERVER_BYTES_MAX = limits.HTTP_HEAD_MAX + limits.HTTP_BODY_MAX
CLIENT_BYTES_MAX = 4 * limits.KIB
SEGMENTS_MAX = 512
STREAMS_BYTES_MAX = 64 * limits.KIB * limits.KIB
"""Payload bytes kept over all connections of a capture."""
FOLLOWED_MAX = 64
"""Ports beyond the camera set followed because an SSDP LOCATION or ONVIF XAddr named them."""
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

    def contents(self) -> tuple[bytes, bytes]:
        """(the bytes from the start up to the first gap, at most `cap`; the first segment
        alone), from one placing of the segments."""
        offsets = self._offsets()
        out = bytearray()
        for offset, data in sorted(offsets.items()):
            if offset > len(out):
                break
            out += data[len(out) - offset :]
        return bytes(out[: self.cap]), offsets.get(0, b"")

    def data(self) -> bytes:
        return self.contents()[0]


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
            heard.tally(STREAMS[0].name).note("connections not followed (too many)")
        if self.kept >= STREAMS_BYTES_MAX:
            heard.tally(STREAMS[0].name).note("streams cut at the capture's byte budget")

    async def _judge_all(self, heard: Heard) -> None:
        """Each stream on its own: a bug met on one server's bytes is that host's
        ``error: <Exception>: ...`` for the protocol, and the other streams are still read
        (zgrab2's isolation, issue 12)."""
        for key, flow in self.flows.items():
            protocol = STREAMS[0].name
            try:
                stream = ServerStream(key[0], key[1], *flow.contents(), (), DOCUMENTS)
                reading = _claimant(stream)
                if reading is not None:
                    protocol = reading.name
                    if reading.reads_requests:
                        stream = dataclasses.replace(stream, requests=self._requests(key))
                    await reading.read(heard, stream)
            except Exception as exc:  # noqa: BLE001 - a bug, isolated to this stream
                heard.fault(exc, protocol, key[0])

    def _requests(self, key: Key) -> tuple[str, ...]:
        """Request targets the client sent on the same connection, in order."""
        reverse = self.flows.get((key[2], key[3], key[0], key[1]))
        found = _REQUEST.findall(reverse.data()) if reverse else []
        return tuple(target.decode("latin-1") for target in found[:ANSWERS_PER_STREAM])


def _claimant(stream: ServerStream) -> StreamReading | None:
    """The first protocol whose hook claims the stream (its first bytes or its port)."""
    return next((reading for reading in STREAMS if reading.claims(stream)), None)
