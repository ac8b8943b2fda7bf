"""A LAN of network namespaces, built inside a network sandbox, for the discovery tests.

Only ever used inside ``unshare --net`` (see test_sandbox.py): the calling process is the
scanner, 198.18.0.2 on a veth ``lan0`` (tests/sandbox.py wires it), and everything else
is a namespace plugged into the bridge ``br0`` of namespace ``cl-lan``:

    cl-m<N>   one multicast persona each (own veth, own MAC), 198.18.0.(20+N)
    cl-u      all unicast personas (scanner/sim/data/personas.toml) on one veth, .101 up
    cl-avahi  avahi-daemon 198.18.0.11     cl-wsdd  wsdd .12     cl-dlna  minidlna .13

The default route of every namespace points at 198.18.0.254, which nobody owns: a packet
for the outside world has nowhere to go, and there is no real interface to go through.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.sandbox import sh, stop_processes, wire_lan

ROOT = Path(__file__).resolve().parents[2]
LISTEN_PORTS = {"avahi": 5353, "wsdd": 3702, "minidlna": 1900}
DAEMONS = {  # name -> (namespace, address, executable)
    "avahi": ("cl-avahi", "198.18.0.11", "avahi-daemon"),
    "wsdd": ("cl-wsdd", "198.18.0.12", "wsdd"),
    "minidlna": ("cl-dlna", "198.18.0.13", "minidlnad"),
}


def addresses_here() -> list[str]:
    """Every IPv4 address of this namespace, with its interface: ['lo 127.0.0.1/8', ...]."""
    lines = sh("ip", "-o", "-4", "addr").splitlines()
    return [f"{line.split()[1]} {line.split()[3]}" for line in lines]


@dataclass
class Lan:
    """Handle on a running LAN: who is where, and the processes to stop."""

    multicast: dict[str, str] = field(default_factory=dict)
    """persona name -> address"""
    unicast: dict[str, str] = field(default_factory=dict)
    daemons: dict[str, str] = field(default_factory=dict)
    """daemon name -> address (only those that started)"""
    skipped_daemons: dict[str, str] = field(default_factory=dict)
    """daemon name -> why it is not running"""
    processes: list[subprocess.Popen[str]] = field(default_factory=list)
    workdir: Path = Path()
    namespaces: list[str] = field(default_factory=list)
    setup_seconds: float = 0.0


def build(multicast: list[str], unicast: list[str]) -> Lan:
    """Namespaces, bridge, veths and addresses; the caller's namespace becomes the scanner."""
    lan = Lan()
    placements: dict[str, list[str]] = {}
    for n, name in enumerate(multicast, start=1):
        lan.multicast[name] = f"198.18.0.{20 + n}"
        placements[f"cl-m{n}"] = [lan.multicast[name]]
    for n, name in enumerate(unicast, start=1):
        lan.unicast[name] = f"198.18.0.{100 + n}"
    if unicast:
        placements["cl-u"] = list(lan.unicast.values())
    for ns, address, _ in DAEMONS.values():
        placements[ns] = [address]
    lan.namespaces = ["cl-lan", *placements]
    wire_lan("cl-lan", placements)
    return lan


def lab_plan(prefix: str, multicast: dict[str, str], unicast: dict[str, str]) -> dict[str, object]:
    """What tools/lan_lab.py serves (TTL 1): each multicast persona (name -> address) in its
    namespace <prefix>-m<N>, every unicast persona in <prefix>-u, as the builders placed them."""
    return {
        "ttl": 1,
        "multicast": [
            {"netns": f"{prefix}-m{n}", "persona": name, "address": address}
            for n, (name, address) in enumerate(multicast.items(), start=1)
        ],
        "unicast": {"netns": f"{prefix}-u", "personas": [list(i) for i in unicast.items()]},
    }


def _start_lab(lan: Lan) -> None:
    plan = lab_plan("cl", lan.multicast, lan.unicast)
    path = lan.workdir / "plan.json"
    path.write_text(json.dumps(plan))
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "tools" / "lan_lab.py"), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    lan.processes.append(process)
    line = process.stdout.readline() if process.stdout else ""
    if not line.startswith("ready"):
        error = process.stderr.read() if process.stderr else ""
        raise RuntimeError(f"lan_lab did not start: {line}{error}")


def _avahi(lan: Lan, ns: str) -> list[str]:
    run = lan.workdir / "avahi"
    (run / "services").mkdir(parents=True)
    (run / "avahi.conf").write_text(
        "[server]\nhost-name=lab-avahi\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=lan0\n"
        "enable-dbus=no\n[wide-area]\nenable-wide-area=no\n[publish]\npublish-workstation=no\n"
    )
    (run / "services" / "rtsp.service").write_text(
        '<?xml version="1.0" standalone="no"?><service-group><name>lab-avahi camera</name>'
        "<service><type>_rtsp._tcp</type><port>554</port></service></service-group>\n"
    )
    script = (
        f"mkdir -p /run/avahi-daemon && mount -t tmpfs none /run/avahi-daemon && "
        f"mount --bind {run}/services /etc/avahi/services && "
        f"exec avahi-daemon --no-drop-root --no-chroot --no-rlimits -f {run}/avahi.conf"
    )
    return ["ip", "netns", "exec", ns, "sh", "-c", script]


def _minidlna(lan: Lan, ns: str) -> list[str]:
    run = lan.workdir / "minidlna"
    for sub in ("media", "db"):
        (run / sub).mkdir(parents=True)
    (run / "minidlna.conf").write_text(
        f"network_interface=lan0\nport=8200\nmedia_dir={run}/media\ndb_dir={run}/db\n"
        f"log_dir={run}/db\nfriendly_name=lab-minidlna\nnotify_interval=30\n"
    )
    return [
        "ip",
        "netns",
        "exec",
        ns,
        "minidlnad",
        "-d",
        "-f",
        f"{run}/minidlna.conf",
        "-P",
        f"{run}/db/pid",
        "-r",
    ]


def _start_daemons(lan: Lan) -> None:
    commands = {
        "avahi": _avahi,
        "wsdd": lambda lan, ns: [
            "ip",
            "netns",
            "exec",
            ns,
            "wsdd",
            "-i",
            "lan0",
            "-4",
            "-n",
            "LABWSDD",
        ],
        "minidlna": _minidlna,
    }
    for daemon, (ns, address, executable) in DAEMONS.items():
        if shutil.which(executable) is None:
            lan.skipped_daemons[daemon] = f"{executable} not installed (tests/lan/install-peers.sh)"
            continue
        if daemon == "avahi" and os.environ.get("CAMSCAN_LAN_USERNS") == "1":
            lan.skipped_daemons[daemon] = "avahi-daemon cannot chown in a user namespace"
            continue
        log = open(lan.workdir / f"{daemon}.log", "w")  # noqa: SIM115 - closed with the lab
        process = subprocess.Popen(
            commands[daemon](lan, ns), stdout=log, stderr=subprocess.STDOUT, text=True
        )
        lan.processes.append(process)
        lan.daemons[daemon] = address


def _wait_daemons(lan: Lan) -> None:
    for daemon in lan.daemons:
        _wait_listening(DAEMONS[daemon][0], LISTEN_PORTS[daemon], lan)
    _wait_answering(lan)


def _wait_answering(lan: Lan, seconds: float = 10.0) -> None:
    """Until each daemon answers its discovery once (a bound socket is not yet a served one:
    wsdd binds before it enters its loop)."""
    from scanner.engine.discovery import make_context
    from scanner.protocols.mdns import MdnsProbe
    from scanner.protocols.ssdp import SsdpProbe
    from scanner.protocols.wsd import WsdProbe
    from scanner.scope import parse_targets

    probes = {"avahi": MdnsProbe(), "wsdd": WsdProbe(), "minidlna": SsdpProbe()}

    async def until_answered(daemon: str, address: str) -> float:
        ctx = make_context(parse_targets([address]), "lan0", timeout=0.3)
        started = time.monotonic()
        while address not in (await probes[daemon].discover(ctx)).hosts():
            if time.monotonic() - started > seconds:
                raise RuntimeError(f"{daemon} does not answer discovery: see {lan.workdir}")
        return time.monotonic() - started

    async def all_answered() -> list[float]:
        return await asyncio.gather(*(until_answered(d, a) for d, a in lan.daemons.items()))

    asyncio.run(all_answered())


def udp_sockets(ns: str) -> list[str]:
    """Local address:port of every UDP socket in namespace `ns` ('239.255.255.250:1900')."""
    lines = sh("ip", "netns", "exec", ns, "ss", "-Hnlu").splitlines()
    return [line.split()[3] for line in lines if len(line.split()) > 3]


def _wait_listening(ns: str, port: int, lan: Lan, seconds: float = 10.0) -> None:
    """Until a daemon's UDP port is bound (wsdd is a Python program and starts slowly)."""
    deadline = time.monotonic() + seconds
    while not any(a.endswith(f":{port}") for a in udp_sockets(ns)):
        if time.monotonic() > deadline or any(p.poll() is not None for p in lan.processes):
            raise RuntimeError(f"daemon in {ns} did not open UDP {port}: see {lan.workdir}")
        time.sleep(0.1)
    time.sleep(0.3)  # avahi: past its host-name probe


@contextlib.contextmanager
def running_lan(multicast: list[str], unicast: list[str]) -> Iterator[Lan]:
    """Build the LAN, start personas and daemons; stop and delete everything on exit."""
    started = time.monotonic()
    lan = build(multicast, unicast)
    lan.workdir = Path(tempfile.mkdtemp(prefix="camscan-lan-"))
    try:
        _start_daemons(lan)  # first: wsdd needs seconds before it answers
        _start_lab(lan)
        _wait_daemons(lan)
        lan.setup_seconds = time.monotonic() - started
        yield lan
    finally:
        stop_processes(lan.processes)
        for ns in lan.namespaces:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(lan.workdir, ignore_errors=True)
