"""`camscan listen` on a LAN of network namespaces, with a capture proving it sent nothing.

Runs only inside the sandbox made by test_listen_sandbox.py (CAMSCAN_PASSIVE_LAN=inside):
this pytest process is the scanner 198.18.0.2 on lan0; the announcer personas
(tests/passive/announcers.py) each have a namespace on the lab's bridge and speak every half
second. The capture runs on v0, the bridge's end of the scanner's cable, so every frame the
scanner's host emits is seen there, whatever socket or layer it came from.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from scanner.cli.listen import listen
from scanner.model import Device
from scanner.passive.listen import ListenPlan
from scanner.passive.session import run_listen
from scanner.recognize import Recognizer
from tests.passive.announcers import ANNOUNCERS, BY_NAME, SADP_TOOL

from .sandbox import ROOT, Capture, plug_hosts, quiet_ipv6, start_announcers, stop

pytestmark = pytest.mark.skipif(
    os.environ.get("CAMSCAN_PASSIVE_LAN") != "inside",
    reason="runs inside the network sandbox (test_listen_sandbox.py)",
)
SCANNER = "198.18.0.2"
SECONDS = 2.0
IGMP = 2


@pytest.fixture(scope="module")
def placed() -> Iterator[dict[str, tuple[str, str]]]:
    from tests.lan.harness import build

    quiet_ipv6()
    build([], [])
    quiet_ipv6("lan0")
    hosts = plug_hosts([a.name for a in ANNOUNCERS] + [SADP_TOOL], first=60)
    processes = start_announcers(hosts, interval=0.5)
    time.sleep(1.0)  # past the interfaces' first seconds
    try:
        yield hosts
    finally:
        stop(processes)


def _by_name(devices: list[Any], placed: dict[str, tuple[str, str]]) -> dict[str, Any]:
    names = {address: name for name, (_, address) in placed.items()}
    return {names.get(d["ip"] if isinstance(d, dict) else d.ip, "?"): d for d in devices}


def _sent(capture: Capture, since: float, until: float) -> list[str]:
    """Frames the scanner's host put on the wire in the window, summarised."""
    from scapy.layers.l2 import Ether

    return [Ether(f).summary() for f in capture.arrived(since - 0.3, until + 0.3)]


def test_sniffing_hears_every_announcer_and_sends_nothing(
    placed: dict[str, tuple[str, str]],
) -> None:
    """As root: every persona named as its label says, and not one frame left the scanner."""
    devices: list[Device] = []
    with Capture("v0", "cl-lan") as capture:
        started = time.time()
        info = run_listen(ListenPlan("lan0", SCANNER, SECONDS), Recognizer.load(), devices.append)
        finished = time.time()
    assert info.options["mode"] == "sniff"
    assert _sent(capture, started, finished) == []
    heard_from_others = [d for t, kind, d in capture.frames if kind == 4 and started <= t]
    assert len(heard_from_others) > 20  # the capture did see the LAN's traffic
    found = _by_name(devices, placed)
    for persona in ANNOUNCERS:
        verdict = found[persona.name].verdict
        assert {k: getattr(verdict, k) for k in persona.label} == persona.label, persona.name
    assert SADP_TOOL not in found  # a search tool's queries make no device
    listeners = info.options["listeners"]
    assert isinstance(listeners, dict)
    for name in ("ssdp", "wsd", "mdns", "sadp", "arp", "dhcp"):
        assert listeners[name].startswith("ok: "), (name, listeners[name])


def test_without_raw_sockets_only_the_kernels_igmp_leaves(
    placed: dict[str, tuple[str, str]],
) -> None:
    """Without CAP_NET_RAW: group sockets hear the multicast personas, ARP and DHCP are
    skipped, and the only frames the scanner sends are the kernel's IGMP reports."""
    script = (
        "import sys; from scanner.cli.listen import listen; "
        f"sys.exit(listen.main(['-i', 'lan0', '--duration', '{SECONDS}', '-f', 'json'], "
        "standalone_mode=False))"
    )
    command = ["setpriv", "--bounding-set=-net_raw", sys.executable, "-c", script]
    with Capture("v0", "cl-lan") as capture:
        started = time.time()
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=60)
        finished = time.time()
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    options = document["scan"]["options"]
    assert options["mode"] == "sockets"
    assert options["listeners"]["arp"] == options["listeners"]["dhcp"] == "skipped: needs root"
    found = _by_name(document["devices"], placed)
    for name in ("asus-router-notify", "dahua-hfw2228m-hello", "hik-ds2cd2722fwd-announcing",
                 "hik-ds2cd2385g1-sadp"):
        assert found[name]["verdict"]["manufacturer"] == BY_NAME[name].label["manufacturer"]
    sent = capture.arrived(started - 0.3, finished + 0.3)
    kinds = {(frame[12:14], frame[23] if frame[12:14] == b"\x08\x00" else None) for frame in sent}
    assert kinds == {(b"\x08\x00", IGMP)}, _sent(capture, started, finished)


def test_policy_exit_status_and_formats(placed: dict[str, tuple[str, str]]) -> None:
    """--policy ndaa889 exits 3 (Hikvision and Dahua announce); jsonl has one line a device."""
    result = CliRunner().invoke(
        listen, ["-i", "lan0", "--duration", "1.5", "-f", "jsonl", "--policy", "ndaa889"],
        standalone_mode=False,
    )
    assert result.exception is None, result.output
    assert result.return_value == 3
    ips = {json.loads(line)["ip"] for line in result.output.splitlines()}
    named = ("dahua-hfw2228m-hello", "hik-ds2cd2385g1-sadp", "hik-ds2cd2722fwd-announcing")
    assert {placed[name][1] for name in named} <= ips


_ARP_SENDER = """
import socket, sys, time
frame, until = bytes.fromhex(sys.argv[1]), time.monotonic() + float(sys.argv[2])
with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
    sock.bind(("lan0", 0))
    while time.monotonic() < until:
        sock.send(frame)
        time.sleep(0.1)
"""


def test_a_malformed_arp_frame_never_ends_listening(placed: dict[str, tuple[str, str]]) -> None:
    """A lab host broadcasts ARP replies whose plen says 6 (issue 12, item 2: one such frame
    ended `listen` with everything heard lost): listening goes on, the frames are counted
    unreadable, and every announcer is still named."""
    namespace = placed[ANNOUNCERS[0].name][0]
    body = bytes.fromhex("0001" "0800" "06" "06" "0002") + b"\xac" * 6 + b"\x0a" * 6
    body += b"\x02" * 6 + b"\x0b" * 6
    frame = bytes.fromhex("ffffffffffff" "02000000ee01" "0806") + body  # both MACs named
    sender = subprocess.Popen(["ip", "netns", "exec", namespace, sys.executable, "-c",
                               _ARP_SENDER, frame.hex(), str(SECONDS + 1)])
    devices: list[Device] = []
    try:
        info = run_listen(ListenPlan("lan0", SCANNER, SECONDS), Recognizer.load(), devices.append)
    finally:
        sender.wait(timeout=SECONDS + 10)
    listeners = info.options["listeners"]
    assert isinstance(listeners, dict)
    assert "unreadable" in listeners["arp"], listeners["arp"]
    found = _by_name(devices, placed)
    assert all(persona.name in found for persona in ANNOUNCERS)
