"""Pieces of the passive tests that run inside the network sandbox (``unshare --net``).

- :class:`Capture`: an AF_PACKET socket that records every frame of one interface, in any
  namespace of the lab (the socket is made there, then read from here), with each frame's
  direction, so what a host *sent* can be told from what it received.
- :func:`plug_hosts` adds hosts to the lab's bridge; :func:`start_announcers` runs one
  tests.passive.announcers process in each.

Only ever used where tests/lan/harness.py has built the lab: nothing here opens a socket on
a real interface.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.sandbox import configure_host, in_netns, sh, stop_processes

ROOT = Path(__file__).resolve().parents[2]
PACKET_OUTGOING = 4


@dataclass
class Capture:
    """Every frame on `interface` (of namespace `netns`) while running: (time, pkttype, bytes)."""

    interface: str
    netns: str | None = None
    frames: list[tuple[float, int, bytes]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Capture:
        with in_netns(self.netns):
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
            sock.setsockopt(socket.SOL_SOCKET, 33, 16 * 1024 * 1024)  # SO_RCVBUFFORCE: no drops
            sock.bind((self.interface, 0))
        sock.settimeout(0.05)
        self._thread = threading.Thread(target=self._run, args=(sock,), daemon=True)
        self._thread.start()
        return self

    def _run(self, sock: socket.socket) -> None:
        with sock:
            while not self._stop.is_set():
                try:
                    data, address = sock.recvfrom(65_535)
                except TimeoutError:
                    continue
                self.frames.append((time.time(), int(address[2]), data))

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.2)  # the last frames in flight
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def arrived(self, since: float = 0.0, until: float = float("inf")) -> list[bytes]:
        """Frames received on the interface (not sent by its own host) in the window."""
        return [d for t, kind, d in self.frames if kind != PACKET_OUTGOING and since <= t <= until]


def plug_hosts(names: list[str], first: int) -> dict[str, tuple[str, str]]:
    """One more lab host per name (namespace cl-a<N>, 198.18.0.<first+N-1>) on br0."""
    placed: dict[str, tuple[str, str]] = {}
    for n, name in enumerate(names, start=1):
        namespace, address = f"cl-a{n}", f"198.18.0.{first + n - 1}"
        sh("ip", "netns", "add", namespace)
        batch = [f"link add va{n} type veth peer name lan0 netns {namespace}",
                 f"link set va{n} master br0 up"]
        sh("ip", "-n", "cl-lan", "-batch", "-", stdin="\n".join(batch) + "\n")
        configure_host(namespace, [address])
        placed[name] = (namespace, address)
    return placed


def start_announcers(
    placed: dict[str, tuple[str, str]], interval: float
) -> list[subprocess.Popen[str]]:
    """One tests.passive.announcers process per persona, in its namespace."""
    processes: list[subprocess.Popen[str]] = []
    for name, (namespace, address) in placed.items():
        command = ["ip", "netns", "exec", namespace, sys.executable, "-m",
                   "tests.passive.announcers", name, address, "--interval", str(interval)]
        processes.append(subprocess.Popen(command, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True, cwd=ROOT))
    for process in processes:
        line = process.stdout.readline() if process.stdout else ""
        if not line.startswith("ready"):
            stop(processes)
            error = process.stderr.read() if process.stderr else ""
            raise RuntimeError(f"announcer did not start: {line}{error[-2000:]}")
    return processes


def stop(processes: list[subprocess.Popen[str]]) -> None:
    stop_processes(processes)


def quiet_ipv6(*interfaces: str) -> None:
    """No IPv6 here (on `interfaces`, or on every interface made from now on): the kernel's
    own router solicitations and MLD reports would otherwise leave the scanner's host."""
    for scope in interfaces or ("default", "all"):
        Path(f"/proc/sys/net/ipv6/conf/{scope}/disable_ipv6").write_text("1")
