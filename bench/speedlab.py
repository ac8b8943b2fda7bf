"""Helpers of bench/speed.py: timing a command, its peak memory, the /16 lab, nmap's XML.

Everything here runs inside the bench's network sandbox (see bench/speed.py); nothing
builds an interface outside it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET

SWEEP_NET = "198.19.0.0/16"
"""The /16 of the sweep bench: inside the lab range 198.18.0.0/15, owned by one namespace."""
SWEEP_LINK = ("198.18.255.1", "198.18.255.2")
"""Scanner and namespace ends of the veth that routes to SWEEP_NET."""
SWEEP_OPEN = (("198.19.100.1", 80), ("198.19.200.1", 37777))
"""The only open ports of the /16 (every other port of every address answers RST): both
tools must report them, or the run is broken."""
_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Run:
    """One timed command: wall seconds, peak RSS of its whole process tree, exit status."""

    argv: list[str]
    seconds: float
    peak_rss: int
    """Bytes: the largest sum of RSS over the process and its descendants, sampled."""
    returncode: int
    stderr: str = ""


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry))
    return tree


def tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and everything it started (0 once it is gone)."""
    tree, total, todo = _children(), 0, [root]
    while todo:
        pid = todo.pop()
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
        todo.extend(tree.get(pid, []))
    return total


def measure(argv: list[str], timeout: float, env: Mapping[str, str] | None = None) -> Run:
    """Run ``argv``; its wall time and the peak RSS of its process tree (sampled each 20 ms)."""
    started = time.monotonic()
    process = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True
    )
    peak, errors = 0, []
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss(process.pid))
            stop.wait(0.02)

    def drain() -> None:
        if process.stderr is not None:
            errors.append(process.stderr.read())

    helpers = [threading.Thread(target=f, daemon=True) for f in (sample, drain)]
    for helper in helpers:
        helper.start()
    killer = threading.Timer(timeout, process.kill)
    killer.start()
    _, status, _ = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    killer.cancel()
    stop.set()
    for helper in helpers:
        helper.join(5)
    process.returncode = os.waitstatus_to_exitcode(status)
    # Not usage.ru_maxrss: a child forked from this (large) process inherits its high-water
    # mark before exec, so the kernel's figure can be this script's size, not the tool's.
    return Run(argv, seconds, peak, process.returncode, "".join(errors)[-2000:])


def sh(*args: str, stdin: str | None = None) -> str:
    done = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


_LISTENER = """
import socket, sys
socks = []
for pair in sys.argv[1:]:
    host, port = pair.rsplit(":", 1)
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port))); s.listen(4096); socks.append(s)
print("ready", flush=True)
import selectors
sel = selectors.DefaultSelector()
for s in socks: sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        try: key.fileobj.accept()[0].close()
        except OSError: pass
"""


@contextlib.contextmanager
def sweep_lan() -> Iterator[None]:
    """Namespace ``cl-big`` owns all of SWEEP_NET (a local route on its lo) behind a veth
    from here; SWEEP_OPEN ports listen, every other port of every address is closed."""
    ns = "cl-big"
    here, there = SWEEP_LINK
    sh("ip", "netns", "add", ns)
    listener: subprocess.Popen[str] | None = None
    try:
        sh("ip", "link", "add", "big0", "type", "veth", "peer", "name", "lan0", "netns", ns)
        sh("ip", "addr", "add", f"{here}/30", "dev", "big0")
        sh("ip", "link", "set", "big0", "up")
        batch = ["link set lo up", "link set lan0 up", f"addr add {there}/30 dev lan0",
                 f"route add local {SWEEP_NET} dev lo"]
        sh("ip", "-n", ns, "-batch", "-", stdin="\n".join(batch) + "\n")
        sh("ip", "route", "add", SWEEP_NET, "via", there, "dev", "big0")
        listener = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, "-c", _LISTENER,
             *(f"{h}:{p}" for h, p in SWEEP_OPEN)],
            stdout=subprocess.PIPE, text=True,
        )
        if listener.stdout is None or not listener.stdout.readline().startswith("ready"):
            raise RuntimeError("the /16 listener did not start")
        yield
    finally:
        if listener is not None:
            listener.kill()
            listener.wait()
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


@dataclass
class NmapHost:
    ip: str
    open_ports: list[int] = field(default_factory=list)
    text: str = ""
    """Every product/version/extrainfo/device type nmap printed for the host."""


def nmap_hosts(path: Path) -> list[NmapHost]:
    """Hosts nmap reported up, from its -oX file (defusedxml, one <host> at a time: the /16
    report is too big to hold as a tree)."""
    hosts = []
    for _, node in SafeET.iterparse(path, events=("end",)):
        if node.tag != "host":
            continue
        status = node.find("status")
        if status is not None and status.get("state") == "up":
            hosts.append(_nmap_host(node))
        node.clear()
    return hosts


def _nmap_host(node: Any) -> NmapHost:
    address = next((a.get("addr", "") for a in node.iter("address")
                    if a.get("addrtype") == "ipv4"), "")
    host = NmapHost(address)
    words = [a.get("vendor", "") for a in node.iter("address")]
    for port in node.iter("port"):
        state = port.find("state")
        if state is not None and state.get("state") == "open":
            host.open_ports.append(int(port.get("portid", "0")))
        service = port.find("service")
        if service is not None:
            words += [service.get(k, "") for k in
                      ("product", "version", "extrainfo", "devicetype", "ostype", "hostname")]
    host.text = " ".join(w for w in words if w)
    return host


def named_makers(text: str, vendors: Mapping[str, str]) -> set[str]:
    """Vendors (canonical names) that ``text`` names: a word ("HP"), or up to 4 consecutive
    words run together as the vocabulary folds them ("Hangzhou Hikvision ...")."""
    words = re.findall(r"[0-9a-z]+", text.casefold())
    found: set[str] = set()
    for start in range(len(words)):
        for length in range(1, 5):
            key = "".join(words[start : start + length])
            if (length == 1 or len(key) >= 3) and key in vendors:
                found.add(vendors[key])
    return found


def nmap_version() -> str:
    if shutil.which("nmap") is None:
        return ""
    first = sh("nmap", "--version").splitlines()[0]
    return first.replace("Nmap version ", "").split(" (")[0]


def scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="camscan-speed-"))
