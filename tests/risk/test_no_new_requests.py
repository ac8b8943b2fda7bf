"""Risk findings cost no request, and the simulated LAN's open RTSP streams are reported.

The demo scan (the simulated LAN on loopback, nothing leaves ``lo``) runs twice: once as
shipped, once with the risk assessment replaced by one that finds nothing. Every TCP
connection, every request sent on it and every discovery datagram is recorded on the way
out; the two scans must send the same ones.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

import scanner.recognize as recognize_module
from scanner.cli.demo import scan_demo
from scanner.model import Device, ScanInfo
from scanner.net.tcp import Connection, Net
from scanner.protocols import udp
from scanner.recognize import Recognizer
from scanner.sim.lab import Lab

Sent = Counter[tuple[str, str, int, str]]


class _Keep:
    """A formatter that only keeps the devices."""

    def __init__(self) -> None:
        self.devices: list[Device] = []

    def begin(self, stream: object) -> None:
        """Nothing to open."""

    def device(self, device: Device) -> None:
        self.devices.append(device)

    def end(self, info: ScanInfo) -> None:
        """Nothing to close."""


def _first_line(data: bytes) -> str:
    """The request line (method and target); bodies carry random message ids."""
    return data.split(b"\r\n", 1)[0].decode("latin-1")[:200]


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sent]:
    """Records connects, TCP requests and discovery datagrams as the scan sends them."""
    sent: Sent = Counter()
    connect, send, datagram = Net.connect, Connection.send, udp._send

    async def recording_connect(self: Net, host: str, port: int, *args: Any, **kw: Any) -> Any:
        sent[("connect", host, port, "")] += 1
        return await connect(self, host, port, *args, **kw)

    async def recording_send(self: Connection, data: bytes, deadline: float) -> None:
        host, port = self.writer.get_extra_info("peername")[:2]
        sent[("tcp", host, port, _first_line(data))] += 1
        await send(self, data, deadline)

    def recording_datagram(sock: Any, payload: bytes, target: tuple[str, int], heard: Any) -> None:
        sent[("udp", target[0], target[1], str(len(payload)))] += 1
        datagram(sock, payload, target, heard)

    monkeypatch.setattr(Net, "connect", recording_connect)
    monkeypatch.setattr(Connection, "send", recording_send)
    monkeypatch.setattr(udp, "_send", recording_datagram)
    yield sent


def _demo_scan(recognizer: Recognizer) -> list[Device]:
    keep = _Keep()
    asyncio.run(scan_demo(recognizer, keep, 2.0, lambda _: None))
    return keep.devices


def _lines(sent: Sent) -> Counter[tuple[str, str, int, str]]:
    """What was sent; UDP sizes vary only by random ids, so they count per destination."""
    return Counter(
        (kind, host, port, "" if kind == "udp" else line)
        for (kind, host, port, line), n in sent.items()
        for _ in range(n)
    )


def test_risk_findings_send_no_request(
    recorder: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo scan with risk findings sends exactly what it sends without them."""
    with_risks = _demo_scan(Recognizer.load())
    first = _lines(recorder)
    recorder.clear()
    monkeypatch.setattr(recognize_module, "assess_risks", lambda *a, **k: ())
    without = _demo_scan(Recognizer.load())
    second = _lines(recorder)
    assert any(device.risks for device in with_risks)
    assert not any(device.risks for device in without)
    assert sum(first.values()) > 100  # the recorder saw the scan
    assert first == second


def test_demo_open_rtsp_personas_carry_rtsp_open() -> None:
    """Every simulated device that answers DESCRIBE with an SDP to anyone carries rtsp-open
    (affected); no other device does."""
    lab = Lab()
    open_streams = {
        persona.address
        for persona in lab.personas
        if (answer := persona.rtsp_answer("DESCRIBE")) is not None
        and answer.status == 200
        and answer.body
    }
    assert open_streams, "the lab should hold a camera streaming without a login"
    devices = {device.ip: device for device in _demo_scan(Recognizer.load())}
    flagged = {
        ip for ip, device in devices.items()
        for risk in device.risks if risk.id == "rtsp-open" and risk.status == "affected"
    }
    assert flagged == open_streams
