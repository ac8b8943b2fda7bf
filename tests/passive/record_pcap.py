"""Record tests/fixtures/pcap/lab-scan.pcap: a camscan scan of the namespace lab, on the wire.

Not a test: run it (as root) when the lab's personas change, then commit both files:

    python -m tests.passive.record_pcap              # makes its own network sandbox

Inside a fresh sandbox it builds the lab of tests/lan/harness.py (every discovery and
unicast persona, and avahi/wsdd/minidlna when installed), plugs in the announcer personas
(tests/passive/announcers.py: NOTIFY, Hello, mDNS, DHCP, ARP, SADP answers to a SADP tool),
starts an AF_PACKET capture on the scanner's interface, and runs one scan (discovery and
the unicast probes) of the personas' addresses. It writes the capture, and beside it
``lab-scan.expected.json``: each device the live scan judged, with the verdict, so the
tests can hold `identify --pcap` to what the scan itself concluded.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fixtures" / "pcap"
UNICAST = ("hikvision-ipc", "hikvision-nvr", "dahua-ipc", "amcrest-ipc", "lorex-nvr",
           "axis-ipc", "hanwha-ipc", "reolink-ipc", "sony-ipc", "xiongmai-dvr")
"""Unicast personas scanned (a subset keeps the capture small)."""
ANNOUNCE_EVERY = 1.5


def _record() -> None:
    from scapy.utils import PcapWriter

    from scanner.engine.discovery import make_context
    from scanner.engine.scan import ScanRequest, run_scan
    from scanner.engine.unicast import UnicastOptions
    from scanner.model import Device
    from scanner.recognize import Recognizer
    from scanner.scope import parse_targets
    from scanner.sim.responders import load_discovery_personas
    from tests.lan.harness import running_lan
    from tests.passive.announcers import ANNOUNCERS, SADP_TOOL
    from tests.passive.sandbox import Capture, plug_hosts, quiet_ipv6, start_announcers, stop

    quiet_ipv6()
    multicast = [p.name for p in load_discovery_personas()]
    with running_lan(multicast, list(UNICAST)) as lan:
        placed = plug_hosts([a.name for a in ANNOUNCERS] + [SADP_TOOL], first=60)
        announcers = start_announcers(placed, ANNOUNCE_EVERY)
        targets = [*lan.multicast.values(), *lan.unicast.values(), *lan.daemons.values(),
                   *(address for _, address in placed.values())]
        scope = parse_targets(targets)
        context = make_context(scope, "lan0", timeout=2.0)
        request = ScanRequest(scope, tuple(targets), UnicastOptions(), discovery=context)
        devices: list[Device] = []
        try:
            with Capture("lan0") as capture:
                asyncio.run(run_scan(request, Recognizer.load(), devices.append))
                time.sleep(ANNOUNCE_EVERY + 0.5)
        finally:
            stop(announcers)
    OUT.mkdir(parents=True, exist_ok=True)
    writer = PcapWriter(str(OUT / "lab-scan.pcap"), linktype=1, sync=True)
    writer.write_header(None)
    for stamp, _, frame in capture.frames:
        writer.write_packet(frame, sec=int(stamp), usec=int(stamp % 1 * 1e6))
    writer.close()
    who = {**lan.multicast, **lan.unicast, **lan.daemons,
           **{name: address for name, (_, address) in placed.items()}}
    expected = {
        "hosts": {address: name for name, address in who.items()},
        "scan": {
            d.ip: {"manufacturer": d.verdict.manufacturer, "model": d.verdict.model,
                   "is_camera": d.verdict.is_camera, "found_by": list(d.found_by)}
            for d in devices
        },
    }
    (OUT / "lab-scan.expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True)
                                               + "\n")
    print(f"{len(capture.frames)} frames, {len(devices)} devices", flush=True)


def main() -> None:
    if os.environ.get("CAMSCAN_RECORDING") == "inside":
        _record()
        return
    from tests.sandbox import sandbox_command

    env = dict(os.environ, CAMSCAN_RECORDING="inside", PYTHONPATH=str(ROOT))
    command = sandbox_command(sys.executable, "-m", "tests.passive.record_pcap")
    raise SystemExit(subprocess.run(command, env=env, cwd=ROOT).returncode)


if __name__ == "__main__":
    main()
