"""`--no-multicast` and `-i` hold on the wire: a capture of the scanner's interfaces.

Runs only inside the network sandbox made by test_sandbox.py (CAMSCAN_LEAKS=inside): this
process is the scanner, 198.18.0.2/24 on a veth ``lan0`` whose other end is a camera-less
peer namespace (198.18.0.9), plus ``noip0``, a second veth to it with no IPv4 address. An
AF_PACKET socket captures every frame this namespace sends, on every interface, while the
real CLI (``python -m scanner scan``, a process of its own) runs. Issue 12, item 7: with
--no-multicast a broadcast address among the targets became link broadcasts, SADP joined
239.255.255.250 (IGMP reports) on 0.0.0.0, and -i naming an interface without IPv4 left
multicast on for every interface.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.sandbox import only_loopback, sh

pytestmark = pytest.mark.skipif(
    os.environ.get("CAMSCAN_LEAKS") != "inside", reason="runs inside the sandbox (test_sandbox.py)"
)
ROOT = Path(__file__).resolve().parents[2]
SCANNER, PEER, BROADCAST = "198.18.0.2", "198.18.0.9", "198.18.0.255"
PEER_NS = "lk-peer"
ETH_P_ALL, PACKET_OUTGOING = 0x0003, 4
IGMP = 2


@dataclass
class Capture:
    """Every frame this namespace sent while it ran, as one line each, kept when IPv4 and
    link-wide: an Ethernet group destination, a multicast or broadcast IPv4 destination,
    or IGMP."""

    wide: list[str] = field(default_factory=list)
    outgoing: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([sock], [], [], 0.05)
            if ready:
                frame, address = sock.recvfrom(65535)
                if address[2] == PACKET_OUTGOING:
                    self.note(address[0], frame)

    def note(self, interface: str, frame: bytes) -> None:
        self.outgoing += 1
        if len(frame) < 34 or frame[12:14] != b"\x08\x00":
            return  # not IPv4 (ARP resolving a unicast neighbour is not a broadcast probe)
        ip = frame[14:]
        destination = socket.inet_ntoa(ip[16:20])
        group_mac = frame[0] & 1
        group_ip = 224 <= ip[16] <= 239 or destination in ("255.255.255.255", BROADCAST)
        if group_mac or group_ip or ip[9] == IGMP:
            start = (ip[0] & 0x0F) * 4
            port = int.from_bytes(ip[start + 2 : start + 4], "big") if ip[9] in (6, 17) else 0
            self.wide.append(f"{interface} proto {ip[9]} -> {destination}:{port}")


@contextlib.contextmanager
def captured() -> Iterator[Capture]:
    """Capture what this namespace sends, on every interface, for the block."""
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    capture = Capture()
    reader = threading.Thread(target=capture.run, args=(sock,), daemon=True)
    reader.start()
    try:
        yield capture
    finally:
        time.sleep(0.3)  # frames still in the queue of an interface
        capture._stop.set()
        reader.join()
        sock.close()


@pytest.fixture(scope="module")
def link() -> Iterator[None]:
    """lan0 (198.18.0.2/24) to a peer namespace (198.18.0.9), and noip0 without IPv4."""
    if not only_loopback():
        raise RuntimeError("refusing to build the link: this namespace has real interfaces")
    sh("ip", "netns", "add", PEER_NS)
    try:
        sh("ip", "link", "add", "lan0", "type", "veth", "peer", "name", "lan0", "netns", PEER_NS)
        sh("ip", "addr", "add", f"{SCANNER}/24", "dev", "lan0")
        sh("ip", "link", "set", "lan0", "up")
        sh("ip", "-n", PEER_NS, "addr", "add", f"{PEER}/24", "dev", "lan0")
        sh("ip", "-n", PEER_NS, "link", "set", "lan0", "up")
        sh("ip", "link", "add", "noip0", "type", "veth", "peer", "name", "noip1", "netns", PEER_NS)
        sh("ip", "link", "set", "noip0", "up")
        sh("ip", "-n", PEER_NS, "link", "set", "noip1", "up")
        yield
    finally:
        subprocess.run(["ip", "netns", "del", PEER_NS], capture_output=True)
        subprocess.run(["ip", "link", "del", "noip0"], capture_output=True)


def scan(*args: str) -> tuple[subprocess.CompletedProcess[str], Capture]:
    """`camscan scan ARGS --ports 80 --timeout 1 -f json`, captured."""
    command = [sys.executable, "-m", "scanner", "scan", *args, "--ports", "80", "--timeout", "1",
               "-f", "json"]
    with captured() as capture:
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=60)
    return done, capture


@pytest.mark.parametrize(
    "args",
    [
        (PEER, BROADCAST, "--no-multicast", "--unicast-discovery"),
        ("198.18.0.250-255", "--no-multicast", "--unicast-discovery"),
        ("198.18.0.0/23", "--no-multicast"),
        (PEER, BROADCAST, "-i", "noip0", "--unicast-discovery"),
    ],
    ids=["broadcast-target", "range-to-broadcast", "wider-than-the-link", "no-ipv4-interface"],
)
def test_no_multicast_sends_no_ipv4_group_frame(link: None, args: tuple[str, ...]) -> None:
    """--no-multicast (or -i naming an interface without IPv4) with the link's broadcast
    address among the targets and directed discovery on: not one IPv4 broadcast or
    multicast frame, IGMP included."""
    done, capture = scan(*args)
    assert done.returncode == 0, done.stderr[-2000:]
    assert capture.outgoing > 0  # the capture saw the scan
    assert capture.wide == [], f"{len(capture.wide)} frames: {capture.wide[:20]}"


def test_an_interface_without_ipv4_turns_multicast_off(link: None) -> None:
    """-i naming an interface with no IPv4 address: multicast and broadcast are off (said on
    stderr and in the document), on every interface, instead of leaving by the default route."""
    done, capture = scan(PEER, "-i", "noip0")
    assert done.returncode == 0, done.stderr[-2000:]
    assert capture.wide == [], f"{len(capture.wide)} frames: {capture.wide[:20]}"
    assert "noip0" in done.stderr and "no IPv4 address" in done.stderr
    assert '"multicast": false' in done.stdout


def test_the_capture_sees_multicast_when_it_is_on(link: None) -> None:
    """The control: the same scan with multicast on sends its group and broadcast frames by
    lan0 (so an empty capture above means something)."""
    done, capture = scan(PEER, "-i", "lan0")
    assert done.returncode == 0, done.stderr[-2000:]
    assert any(line.startswith("lan0 proto 17 -> 239.255.255.250") for line in capture.wide)
    assert any(f"-> {BROADCAST}:" in line for line in capture.wide)
