"""`camscan listen`: hear what devices say on their own, and send nothing at all.

Two ways to listen, chosen by what the system allows:

The sockets are opened by scanner.net (layer2.open_sniffer, udp.open_group_socket).

- **sniff** (root or CAP_NET_RAW): one AF_PACKET socket on the interface, in promiscuous
  mode, receiving only (a kernel BPF filter keeps the discovery ports, ARP and DHCP when
  libpcap is there to compile it; the same test is made in Python either way). No socket
  joins a group, so not even an IGMP membership report leaves the machine. Frames the
  machine itself sends are not read (PACKET_IGNORE_OUTGOING).
- **sockets** (no privilege): one UDP socket per discovery port, bound to it and joined to
  the protocol's group on the interface's address, read with recvmsg and nothing else.
  Joining a group makes the *kernel* announce the membership (an IGMP report), which a
  switch with IGMP snooping needs before it forwards the group at all; camscan itself sends
  no datagram. ARP and DHCP cannot be heard this way: they are ``skipped: needs root``.

Datagrams that arrive on another interface, and the machine's own, are left out. Every
datagram is cut at ``limits.DATAGRAM_MAX``; the listening ends after ``duration`` seconds
or at Ctrl-C, and what was heard until then is kept.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from scanner import limits
from scanner.net.layer2 import PACKET_OUTGOING, open_sniffer
from scanner.net.udp import IP_PKTINFO, open_group_socket
from scanner.passive.datagrams import GROUPS, PORTS
from scanner.passive.frames import FrameReader, wanted
from scanner.passive.heard import Heard
from scanner.protocols.registry import RAW_ONLY

FRAME_MAX = 65_535 + 64
BURST = 256
"""Most packets read from one socket before the others get their turn."""
KERNEL_FILTER = (
    "arp or (ip and ip[6:2] & 0x1fff != 0) or (udp and (port 67 or port 68 or "
    + " or ".join(f"port {port}" for port in sorted(PORTS))
    + "))"
)


@dataclass(frozen=True)
class ListenPlan:
    interface: str
    local_ip: str | None
    duration: float
    sniff: bool | None = None
    """True: sniff (fails without privilege); False: group sockets; None: sniff if allowed."""


@dataclass(frozen=True)
class ListenResult:
    mode: str
    """'sniff' or 'sockets'."""
    seconds: float
    interrupted: bool
    kernel_filter: bool = False


def _arrived_on(ancillary: list[tuple[int, int, bytes]]) -> int | None:
    for level, kind, data in ancillary:
        if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(data) >= 4:
            return int(struct.unpack_from("i", data)[0])
    return None


@dataclass
class _Loop:
    """Reads every registered socket until the deadline; see the module docstring."""

    plan: ListenPlan
    frames: FrameReader
    ifindex: int

    def sniffed(self, sock: socket.socket) -> None:
        data, address = sock.recvfrom(FRAME_MAX)
        if address[0] != self.plan.interface or address[2] == PACKET_OUTGOING:
            return
        if wanted(data):
            self.frames.read_bytes(data)

    def received(self, sock: socket.socket, protocol: str) -> None:
        cmsg = socket.CMSG_SPACE(12)
        data, ancillary, _, address = sock.recvmsg(limits.DATAGRAM_MAX + 1, cmsg)
        if _arrived_on(ancillary) not in (None, self.ifindex):
            return
        source, port = str(address[0]), int(address[1])
        if source != self.plan.local_ip:
            self.frames.datagrams.read(protocol, source, port, data)

    def run(self, selector: selectors.BaseSelector, now: Callable[[], float]) -> bool:
        """Until the deadline; True if interrupted (Ctrl-C)."""
        deadline = now() + self.plan.duration
        try:
            while (left := deadline - now()) > 0:
                for key, _ in selector.select(min(left, 0.25)):
                    handler: Callable[[], None] = key.data
                    for _ in range(BURST):
                        try:
                            handler()
                        except (BlockingIOError, InterruptedError):
                            break
                        except OSError:
                            break  # a socket error report; the next select tries again
        except KeyboardInterrupt:
            return True
        return False


@contextlib.contextmanager
def _sockets(plan: ListenPlan, heard: Heard, loop: _Loop) -> Iterator[tuple[Any, str, bool]]:
    """Open the sniffer or the group sockets; yields (selector, mode, kernel filter)."""
    selector = selectors.DefaultSelector()
    opened: list[socket.socket] = []
    mode, filtered, why = "sockets", False, "needs root"
    try:
        if plan.sniff is not False:
            try:
                sniffer, filtered = open_sniffer(plan.interface, KERNEL_FILTER)
                opened.append(sniffer)
                selector.register(sniffer, selectors.EVENT_READ, lambda: loop.sniffed(sniffer))
                mode = "sniff"
            except PermissionError:
                if plan.sniff:
                    raise
            except OSError as exc:  # e.g. an interface that is not Ethernet-like
                why = f"raw capture failed: {exc.strerror or exc}"
        if mode == "sockets":
            heard.skipped.update(dict.fromkeys(RAW_ONLY, why))
            for port, protocol in PORTS.items():
                try:
                    sock = open_group_socket(port, GROUPS[protocol], loop.ifindex)
                except OSError as exc:
                    heard.problems[protocol] = (
                        f"cannot listen on UDP {port}: {exc.strerror or exc}"
                    )
                    continue
                opened.append(sock)
                selector.register(sock, selectors.EVENT_READ,
                                  lambda s=sock, p=protocol: loop.received(s, p))
        yield selector, mode, filtered
    finally:
        selector.close()
        for sock in opened:
            sock.close()


def listen(plan: ListenPlan, heard: Heard, now: Callable[[], float] = time.monotonic
           ) -> ListenResult:
    """Listen on `plan.interface` for `plan.duration` seconds into `heard`."""
    loop = _Loop(plan, FrameReader(heard), socket.if_nametoindex(plan.interface))
    started = now()
    with _sockets(plan, heard, loop) as (selector, mode, filtered):
        interrupted = loop.run(selector, now)
    heard.settle_dhcp()
    return ListenResult(mode, round(now() - started, 3), interrupted, filtered)
