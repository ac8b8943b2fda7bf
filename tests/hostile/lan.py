"""A LAN of network namespaces with hostile personas beside benign ones (sandbox only).

Built like tests/lan/harness.py, inside ``unshare --net`` only: the calling process is the
scanner, 198.18.0.2 on a veth ``lan0``; everything else is a namespace on the bridge ``br0``
of namespace ``hl-lan``:

    hl-m<N>   one benign discovery persona each, 198.18.0.(20+N)   (tools/lan_lab.py)
    hl-u      every benign unicast persona, 198.18.0.101 and up    (tools/lan_lab.py)
    hl-h<N>   one hostile persona each, 198.18.0.(150+N)           (tests.hostile.lab.lab)
    hl-out    the outsider, 198.18.0.250: outside the scan scope, where the attacks point
    hl-victim the pivot's victim, 198.18.0.199: inside the scope, where the pivot persona's
              LOCATION and XAddrs point (ports 6379 and 6380, which must see nothing)

Every default route points at 198.18.0.254, which nobody owns.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.lan.harness import lab_plan
from tests.sandbox import stop_processes, wire_lan

ROOT = Path(__file__).resolve().parents[2]
OUTSIDER = "198.18.0.250"
VICTIM = "198.18.0.199"
SCOPE = "198.18.0.1-200"


@dataclass
class HostileLan:
    benign_multicast: dict[str, str] = field(default_factory=dict)
    benign_unicast: dict[str, str] = field(default_factory=dict)
    hostile: dict[str, str] = field(default_factory=dict)
    """name -> address, for each of the three kinds."""
    namespaces: list[str] = field(default_factory=list)
    processes: list[subprocess.Popen[str]] = field(default_factory=list)
    workdir: Path = Path()
    report_path: Path = Path()

    def who(self) -> dict[str, str]:
        """address -> persona name, every kind."""
        every = {**self.benign_multicast, **self.benign_unicast, **self.hostile}
        return {address: name for name, address in every.items()}


def build(multicast: list[str], unicast: list[str], hostile: list[str]) -> HostileLan:
    """Namespaces and addresses for every persona; refuses to run outside a fresh sandbox."""
    lan = HostileLan()
    placements: dict[str, list[str]] = {}
    for n, name in enumerate(multicast, start=1):
        lan.benign_multicast[name] = f"198.18.0.{20 + n}"
        placements[f"hl-m{n}"] = [lan.benign_multicast[name]]
    lan.benign_unicast = {name: f"198.18.0.{100 + n}" for n, name in enumerate(unicast, 1)}
    if unicast:
        placements["hl-u"] = list(lan.benign_unicast.values())
    for n, name in enumerate(hostile, start=1):
        lan.hostile[name] = f"198.18.0.{150 + n}"
        placements[f"hl-h{n}"] = [lan.hostile[name]]
    placements["hl-out"] = [OUTSIDER]
    placements["hl-victim"] = [VICTIM]
    lan.namespaces = ["hl-lan", *placements]
    wire_lan("hl-lan", placements)
    return lan


def _start(lan: HostileLan, command: list[str]) -> None:
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    lan.processes.append(process)
    line = process.stdout.readline() if process.stdout else ""
    if not line.startswith("ready"):
        error = process.stderr.read() if process.stderr else ""
        raise RuntimeError(f"{command[1:3]} did not start: {line}{error}")


def _plans(lan: HostileLan) -> tuple[Path, Path]:
    benign = lab_plan("hl", lan.benign_multicast, lan.benign_unicast)
    hostile = {
        "personas": [
            {"name": name, "address": address, "netns": f"hl-h{n}"}
            for n, (name, address) in enumerate(lan.hostile.items(), start=1)
        ],
        "outsider": {"address": OUTSIDER, "netns": "hl-out", "capture": "lan0"},
        "victim": {"address": VICTIM, "netns": "hl-victim", "capture": "lan0"},
        "report": str(lan.report_path),
    }
    paths = (lan.workdir / "benign.json", lan.workdir / "hostile.json")
    for path, plan in zip(paths, (benign, hostile), strict=True):
        path.write_text(json.dumps(plan))
    return paths


@contextlib.contextmanager
def running(multicast: list[str], unicast: list[str], hostile: list[str]) -> Iterator[HostileLan]:
    """Build the LAN and start both persona processes; stop and delete all on exit."""
    lan = build(multicast, unicast, hostile)
    lan.workdir = Path(tempfile.mkdtemp(prefix="camscan-hostile-"))
    lan.report_path = lan.workdir / "hostile-report.json"
    benign, hostile_plan = _plans(lan)
    try:
        _start(lan, [sys.executable, str(ROOT / "tools" / "lan_lab.py"), str(benign)])
        _start(lan, [sys.executable, "-m", "tests.hostile.lab.lab", str(hostile_plan)])
        yield lan
    finally:
        stop(lan)
        for ns in lan.namespaces:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def stop(lan: HostileLan) -> None:
    """SIGTERM the persona processes (the hostile one writes its report) and wait."""
    stop_processes(lan.processes, wait=5)
    lan.processes.clear()
