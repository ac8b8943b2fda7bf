"""Hostile or foreign answers: bad datagrams become statuses, and the scope is never left."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import pytest

from scanner.model import Outcome
from scanner.protocols.dhip import DhipProbe
from scanner.protocols.lan import DiscoveryProbe, DiscoveryResult
from scanner.protocols.sadp import SadpProbe
from scanner.protocols.ssdp import SsdpProbe
from scanner.protocols.ubnt import UbntProbe
from scanner.protocols.wsd import WsdProbe
from scanner.protocols.xm import XmProbe
from scanner.sim.responders import BUILDERS, PORTS, Responder

from .helpers import BY_NAME, lo_context, place, run

Answer = Callable[[bytes], bytes]
CASES: dict[str, tuple[DiscoveryProbe, str]] = {
    "wsd": (WsdProbe(), "hik-ds2cd3955fwd"),
    "ssdp": (SsdpProbe(), "dahua-upnp-sdk"),
    "sadp": (SadpProbe(), "hik-ds2cd2385g1"),
    "dhip": (DhipProbe(), "dahua-ipc-hdw1431t1"),
    "ubnt": (UbntProbe(), "ubnt-uvc-g4-pro"),
    "xm": (XmProbe(), "xm-ipc-6a6b"),
}


class _Answering(asyncio.DatagramProtocol):
    """Answers every datagram with answer(request), sent back to the sender."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.transport is not None:
            self.transport.sendto(self.answer(data), addr)


async def _with_answerer(
    address: str, port: int, answer: Answer, work: Callable[[], Awaitable[DiscoveryResult]]
) -> DiscoveryResult:
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # SADP/XM probers bind it too
    sock.bind((address, port))
    transport, _ = await loop.create_datagram_endpoint(lambda: _Answering(answer), sock=sock)
    try:
        return await work()
    finally:
        transport.close()


def _real(protocol: str, address: str) -> Answer:
    """The persona's real answer to the request (the start of an honest exchange)."""
    table = BY_NAME[CASES[protocol][1]].answers[protocol]
    return lambda request: BUILDERS[protocol](table, address, request) or b""


@pytest.mark.parametrize("protocol", sorted(CASES))
@pytest.mark.parametrize(
    "mangle",
    [
        lambda real: real[: len(real) // 2],
        lambda real: b"\x00\xff junk " * 50,
        lambda real: b"x" * 65000,
        lambda real: real[:3],
    ],
    ids=["truncated", "junk", "oversized", "stub"],
)
def test_bad_answers_become_statuses(protocol: str, mangle: Callable[[bytes], bytes]) -> None:
    """A cut, junk, huge or tiny answer never crashes a probe and never becomes an observation."""
    probe, _ = CASES[protocol]
    port = PORTS[protocol][0]
    real = _real(protocol, "127.0.1.9")
    ctx = lo_context(multicast=False, targets=("127.0.1.9",), timeout=0.15)
    result = run(
        _with_answerer(
            "127.0.1.9", port, lambda r: mangle(real(r)) or b"?", lambda: probe.discover(ctx)
        )
    )
    assert [o for o in result.observations if o.field != "mac"] == []
    assert result.statuses["*"].outcome in (Outcome.NO_ANSWER, Outcome.ERROR)
    if result.statuses["*"].outcome is Outcome.ERROR:
        assert result.statuses["127.0.1.9"].label().startswith("error: bad answer")


def test_answers_from_outside_the_scope_are_ignored_and_counted() -> None:
    """Personas at .1 and .2 answer the multicast; with a scope of .1 only, .2 is counted."""
    placed = place("dahua-ipc-hdw1431t1", "lorex-w461asc")

    async def scan() -> DiscoveryResult:
        async with Responder(placed, interface_ip="127.0.0.1", multicast_ttl=0):
            return await DhipProbe().discover(lo_context("127.0.1.1"))

    result = run(scan())
    assert {o.host for o in result.observations} == {"127.0.1.1"}
    assert "1 out of scope ignored" in result.statuses["*"].detail


class _Counter(asyncio.Protocol):
    connections = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        _Counter.connections += 1
        transport.close()


@pytest.mark.parametrize("protocol", ["wsd", "ssdp"])
def test_addresses_named_in_answers_outside_the_scope_are_never_contacted(protocol: str) -> None:
    """XAddrs / LOCATION pointing at 127.0.2.9 (outside the scope) get no connection at all."""
    probe, name = CASES[protocol]
    table = dict(BY_NAME[name].answers[protocol])
    old = {"wsd": "http://{ip}/", "ssdp": "http://{ip}:49152/"}[protocol]
    table["reply"] = table["reply"].replace(old, "http://127.0.2.9:18080/")
    port = PORTS[protocol][0]
    _Counter.connections = 0

    async def scan() -> DiscoveryResult:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_Counter, "127.0.2.9", 18080)
        try:
            return await _with_answerer(
                "127.0.1.9",
                port,
                lambda r: BUILDERS[protocol](table, "127.0.1.9", r) or b"",
                lambda: probe.discover(lo_context(multicast=False, targets=("127.0.1.9",))),
            )
        finally:
            server.close()

    result = run(scan())
    assert _Counter.connections == 0
    assert result.found_by("127.0.1.9") == (protocol,)
    skipped = [s for s in result.statuses.values() if s.outcome is Outcome.SKIPPED]
    detail = next(s.detail for s in skipped if s.probe != protocol)
    assert detail.endswith("outside scope, URL host 127.0.2.9 is not the sender"), detail


@pytest.mark.parametrize("protocol", ["wsd", "ssdp"])
@pytest.mark.parametrize(("host", "contacted"), [("127.0.1.10", False), ("127.0.1.9", True)])
def test_urls_in_answers_are_followed_only_on_their_sender(
    protocol: str, host: str, contacted: bool
) -> None:
    """XAddrs / LOCATION naming another in-scope host's port (127.0.1.10:18081) get no
    connection: a device speaks only for itself. Naming the sender's own port, they do."""
    probe, name = CASES[protocol]
    table = dict(BY_NAME[name].answers[protocol])
    old = {"wsd": "http://{ip}/", "ssdp": "http://{ip}:49152/"}[protocol]
    table["reply"] = table["reply"].replace(old, f"http://{host}:18081/")
    _Counter.connections = 0

    async def scan() -> DiscoveryResult:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_Counter, host, 18081)
        try:
            return await _with_answerer(
                "127.0.1.9",
                PORTS[protocol][0],
                lambda r: BUILDERS[protocol](table, "127.0.1.9", r) or b"",
                lambda: probe.discover(lo_context(multicast=False, targets=("127.0.1.9",))),
            )
        finally:
            server.close()

    result = run(scan())
    assert (_Counter.connections > 0) is contacted
    details = [s.detail for s in result.statuses.values() if s.outcome is Outcome.SKIPPED]
    wanted = f"URL host {host} is not the sender"
    assert len([d for d in details if d.endswith(wanted)]) == (0 if contacted else 1), details
    assert not [k for k in result.statuses if k.endswith("127.0.1.10")]


def _http_answer(status: str, body: bytes) -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/soap+xml\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


FAULT = (
    b'<?xml version="1.0" encoding="UTF-8"?><s:Envelope '
    b'xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    b'xmlns:ter="http://www.onvif.org/ver10/error"><s:Body><s:Fault><s:Code>'
    b"<s:Value>s:Sender</s:Value><s:Subcode><s:Value>ter:NotAuthorized</s:Value>"
    b'</s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">Sender not Authorized'
    b"</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>"
)


@pytest.mark.parametrize(
    ("answer", "observed"),
    [
        (_http_answer("401 Unauthorized", b""), False),
        (_http_answer("400 Bad Request", FAULT), True),
    ],
    ids=["http-401", "soap-fault"],
)
def test_device_information_refusal_is_recorded(answer: bytes, observed: bool) -> None:
    """An in-scope XAddr that refuses GetDeviceInformation gives 'refused: needs login'."""
    table = dict(BY_NAME["hik-ds2cd3955fwd"].answers["wsd"])
    table["reply"] = table["reply"].replace("http://{ip}/", "http://{ip}:18081/")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        writer.write(answer)
        await writer.drain()
        writer.close()

    async def scan() -> DiscoveryResult:
        server = await asyncio.start_server(handle, "127.0.1.9", 18081)
        try:
            return await _with_answerer(
                "127.0.1.9",
                3702,
                lambda r: BUILDERS["wsd"](table, "127.0.1.9", r) or b"",
                lambda: WsdProbe().discover(lo_context(multicast=False, targets=("127.0.1.9",))),
            )
        finally:
            server.close()

    result = run(scan())
    assert result.statuses["onvif/127.0.1.9"].label().startswith("refused: needs login")
    fields = {o.field for o in result.observations}
    assert ("onvif.device_information" in fields) is observed
