"""Speed and scale against nmap, on a LAN of network namespaces: a benchmark, not a test.

    sudo .venv/bin/python bench/speed.py [--runs 5] [--nmap-runs 1] [--only 24|16] [--json F]

It enters a network sandbox first (``unshare --net``: nothing but ``lo``, then the lab's own
veths), so no packet of either tool can reach a real interface. Root is needed for the
namespaces, as for tests/lan. Two parts, both tools in the same run:

(a) 198.18.0.0/24 with every persona of scanner/sim (41) and the three real daemons of
    tests/lan, the other 209 addresses silent. ``camscan scan 198.18.0.0/24`` with default
    options, ``--runs`` times, against ``nmap -sV -n -p <camscan's ports>``; wall time, peak
    RSS of the process tree, devices found, and devices whose true maker each tool names.
(b) 198.19.0.0/16, every address answering TCP (one namespace owns the /16 through a local
    route; two ports are open, all others closed). camscan's port sweep
    (``--no-discovery --rate unlimited --per-host-rate unlimited -f jsonl``) against
    ``nmap -T4 -sT -n -p <the same ports>``: wall time, peak RSS, hosts per second.

``-n`` spares nmap reverse DNS that cannot succeed in the sandbox (camscan does none). The
table is printed at the end; the exit status is non-zero only when a run is broken (a tool
failed, the lab did not come up, an open port went unreported), never because of speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from speedlab import (  # noqa: E402
    SWEEP_NET,
    SWEEP_OPEN,
    Run,
    measure,
    named_makers,
    nmap_hosts,
    nmap_version,
    scratch,
    sweep_lan,
)

from scanner.protocols.registry import DEFAULT_PORTS  # noqa: E402
from scanner.scope import parse_targets  # noqa: E402

LAN = "198.18.0.0/24"
SCANNER = "198.18.0.2"
PORTS = ",".join(map(str, DEFAULT_PORTS))
_INNER = 'mount -t tmpfs tmpfs /run && ip link set lo up && exec "$@"'


class Broken(Exception):
    """The run cannot be trusted: say why and exit non-zero."""


@dataclass
class Row:
    tool: str
    runs: list[Run]
    found: int | None = None
    identified: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def peak_mb(self) -> float:
        return max(r.peak_rss for r in self.runs) / 1e6


def _check(run: Run) -> Run:
    if run.returncode != 0:
        raise Broken(f"{' '.join(run.argv[:4])}... exited {run.returncode}: {run.stderr[-400:]}")
    return run


def _camscan(*args: str) -> list[str]:
    return [sys.executable, "-m", "scanner", "scan", *args]


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT))


def _expected_makers(lan: Any) -> dict[str, str]:
    """address -> the canonical maker its label names (personas that have one)."""
    from scanner.recognize import Recognizer
    from scanner.sim.personas import load_personas
    from scanner.sim.responders import load_discovery_personas

    vocabulary = Recognizer.load().database.vocabulary
    makers = {lan.unicast[p.name]: p.label.manufacturer
              for p in load_personas() if p.label.manufacturer}
    for persona in load_discovery_personas():
        label = persona.label.get("manufacturer")
        if label:
            makers[lan.multicast[persona.name]] = vocabulary.canonical(label) or label
    return makers


def part_lan(runs: int, nmap_runs: int, work: Path) -> dict[str, Any]:
    """(a): the default camscan scan and nmap -sV on the persona /24."""
    from lan.harness import running_lan  # tests/lan, on sys.path below

    from scanner.recognize import Recognizer
    from scanner.sim.personas import load_personas
    from scanner.sim.responders import load_discovery_personas

    vendors = Recognizer.load().database.vocabulary.vendors
    multicast = [p.name for p in load_discovery_personas()]
    unicast = [p.name for p in load_personas()]
    with running_lan(multicast, unicast) as lan:
        live = {*lan.multicast.values(), *lan.unicast.values(), *lan.daemons.values()}
        makers = _expected_makers(lan)
        out = work / "camscan.json"
        cam = Row("camscan scan (defaults)", [])
        for _ in range(runs):
            cam.runs.append(_check(measure(_camscan(LAN, "-f", "json", "-o", str(out)), 120,
                                           _env())))
            devices = json.loads(out.read_text())["devices"]
            cam.found = len({d["ip"] for d in devices} & live)
            cam.identified = sum(d["verdict"]["manufacturer"] == makers.get(d["ip"])
                                 for d in devices if d["ip"] in makers)
        xml = work / "nmap24.xml"
        nmap = Row(f"nmap -sV -n -p <{len(DEFAULT_PORTS)} ports>", [])
        for _ in range(nmap_runs):
            nmap.runs.append(_check(measure(["nmap", "-sV", "-n", "-p", PORTS, LAN, "-oX",
                                             str(xml)], 3600)))
        hosts = nmap_hosts(xml)
        nmap.found = len({h.ip for h in hosts} & live)
        nmap.identified = sum(makers[h.ip] in named_makers(h.text, vendors)
                              for h in hosts if h.ip in makers)
        if not cam.found or not nmap.found:
            raise Broken(f"nothing found on the /24 (camscan {cam.found}, nmap {nmap.found})")
        return {"live": len(live), "silent": 254 - 1 - len(live), "identifiable": len(makers),
                "personas": len(multicast) + len(unicast), "daemons": len(lan.daemons),
                "setup_seconds": lan.setup_seconds, "skipped_daemons": lan.skipped_daemons,
                "rows": [cam, nmap]}


def part_sweep(work: Path) -> dict[str, Any]:
    """(b): camscan's port sweep and nmap -T4 -sT over a /16 that answers everywhere."""
    with sweep_lan():
        out = work / "sweep.jsonl"
        cam = Row("camscan sweep (--rate unlimited)", [_check(measure(_camscan(
            SWEEP_NET, "--no-discovery", "--rate", "unlimited", "--per-host-rate", "unlimited",
            "-f", "jsonl", "-o", str(out)), 1800, _env()))])
        found = {(d["ip"], p) for line in out.read_text().splitlines()
                 for d in [json.loads(line)] for p in d["open_ports"]}
        xml = work / "nmap16.xml"
        nmap = Row(f"nmap -T4 -sT -n -p <{len(DEFAULT_PORTS)} ports>", [_check(measure(
            ["nmap", "-T4", "-sT", "-n", "-p", PORTS, SWEEP_NET, "-oX", str(xml)], 3600))])
        hosts = nmap_hosts(xml)
        seen = {(h.ip, p) for h in hosts for p in h.open_ports}
    for tool, got in (("camscan", found), ("nmap", seen)):
        if got != set(SWEEP_OPEN):
            raise Broken(f"{tool} reported open {sorted(got)[:5]}, the lab has {SWEEP_OPEN}")
    cam.found = len(parse_targets([SWEEP_NET]))  # camscan leaves out .0.0 and .255.255
    nmap.found = len(hosts)  # every address nmap tried, all up
    return {"addresses": cam.found, "rows": [cam, nmap]}


SCALING = (  # (what, target, extra options, live hosts?)
    ("1022 live x 17 ports", "198.19.0.0/22", (), True),
    ("1022 live x 3 ports", "198.19.0.0/22", ("--ports", "80,443,554"), True),
    ("1022 silent x 17 ports", "198.19.64.0/22", (), False),
    ("4094 live x 17 ports, --rate unlimited", "198.19.16.0/20",
     ("--rate", "unlimited", "--per-host-rate", "unlimited"), True),
)
SILENT = "198.19.64.0/22"
"""Black-holed inside the /16 lab for the silent rows: SYNs there get no answer at all."""


def _predicted(target: str, options: tuple[str, ...], live: bool) -> float | None:
    """The model of the README: packets / rate + one connect timeout (None: CPU-bound)."""
    from scanner import limits

    if "unlimited" in options:
        return None
    hosts = len(parse_targets([target]))
    ports = len(options[1].split(",")) if options[:1] == ("--ports",) else len(DEFAULT_PORTS)
    packets = hosts * (ports if live else 2)
    return packets / limits.DEFAULT_RATE + (0 if live else limits.CONNECT_TIMEOUT)


def part_scaling(work: Path) -> dict[str, Any]:
    """How camscan's sweep time grows with addresses, live hosts and ports (default rates)."""
    from speedlab import sh

    out, rows = work / "scale.jsonl", []
    with sweep_lan():
        sh("ip", "-n", "cl-big", "route", "add", "blackhole", SILENT)
        for what, target, options, live in SCALING:
            run = _check(measure(_camscan(target, "--no-discovery", *options, "-f", "jsonl",
                                          "-o", str(out)), 600, _env()))
            row = Row(f"{what}", [run], len(parse_targets([target])))
            row.extra["predicted"] = _predicted(target, options, live)
            rows.append(row)
    return {"rows": rows}


def _scaling_lines(scaling: dict[str, Any]) -> list[str]:
    lines = ["", "(c) camscan's sweep alone (--no-discovery), default --rate 1000 "
             "--per-host-rate 40 unless said",
             f"{'scope':40} {'wall':>9} {'model':>9} {'hosts/s':>9}"]
    for row in scaling["rows"]:
        model = row.extra["predicted"]
        shown = f"{model:7.1f} s" if model is not None else "  (CPU)  "
        lines.append(f"{row.tool:40} {row.seconds:>7.2f} s {shown:>9} "
                     f"{(row.found or 0) / row.seconds:>9.0f}")
    return lines


def _table(lan: dict[str, Any] | None, sweep: dict[str, Any] | None,
           scaling: dict[str, Any] | None = None) -> str:
    lines = [f"camscan speed bench: {platform.node()}, {os.cpu_count()} CPUs, Linux "
             f"{platform.release()}, Python {platform.python_version()}, nmap {nmap_version()}"]
    if lan:
        cam, nmap = lan["rows"]
        lines += ["", f"(a) {LAN}: {lan['live']} live ({lan['personas']} personas, "
                  f"{lan['daemons']} daemons), {lan['silent']} silent addresses, "
                  f"{len(DEFAULT_PORTS)} ports",
                  f"{'tool':36} {'runs':>4} {'wall (median)':>14} {'peak RSS':>9} "
                  f"{'found':>7} {'maker named':>12}"]
        for row in (cam, nmap):
            lines.append(f"{row.tool:36} {len(row.runs):>4} {row.seconds:>12.2f} s "
                         f"{row.peak_mb:>6.0f} MB {row.found:>3}/{lan['live']:<3} "
                         f"{row.identified:>6}/{lan['identifiable']}")
        lines.append(f"camscan walls: {', '.join(f'{r.seconds:.2f}' for r in cam.runs)} s; "
                     f"nmap -sV / camscan = {nmap.seconds / cam.seconds:.1f}x")
    if sweep:
        cam, nmap = sweep["rows"]
        lines += ["", f"(b) {SWEEP_NET}: {sweep['addresses']} addresses answering TCP, "
                  f"{len(DEFAULT_PORTS)} ports each",
                  f"{'tool':36} {'wall':>9} {'peak RSS':>9} {'hosts/s':>9}"]
        for row in (cam, nmap):
            lines.append(f"{row.tool:36} {row.seconds:>7.2f} s {row.peak_mb:>6.0f} MB "
                         f"{(row.found or 0) / row.seconds:>9.0f}")
        ratio = ((cam.found or 0) / cam.seconds) / ((nmap.found or 1) / nmap.seconds)
        lines.append(f"camscan / nmap -T4 -sT hosts per second = {ratio:.2f}x")
    if scaling:
        lines += _scaling_lines(scaling)
    return "\n".join(lines)


def _as_json(part: dict[str, Any] | None) -> Any:
    if part is None:
        return None
    rows = [{"tool": r.tool, "seconds": [round(x.seconds, 3) for x in r.runs],
             "median_seconds": round(r.seconds, 3), "peak_rss_mb": round(r.peak_mb, 1),
             "found": r.found, "maker_named": r.identified, **r.extra} for r in part["rows"]]
    return {**{k: v for k, v in part.items() if k != "rows"}, "rows": rows}


def inside(args: argparse.Namespace) -> int:
    from tests.sandbox import only_loopback

    if not only_loopback():
        raise Broken("refusing to run: this namespace has real interfaces")
    work = scratch()
    try:
        lan = part_lan(args.runs, args.nmap_runs, work) if args.only in (None, "24") else None
        sweep = part_sweep(work) if args.only in (None, "16") else None
        scaling = part_scaling(work) if args.only in (None, "scaling") else None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(_table(lan, sweep, scaling))
    if args.json:
        numbers = {"lan": _as_json(lan), "sweep": _as_json(sweep), "scaling": _as_json(scaling)}
        Path(args.json).write_text(json.dumps(numbers, indent=1))
    return 0


def enter_sandbox(argv: list[str]) -> int:
    """Re-run this script inside a fresh network/mount/pid sandbox that has only lo."""
    if os.geteuid() != 0:
        raise Broken("needs root for the network namespaces: sudo .venv/bin/python "
                     "bench/speed.py")
    for tool, package in (("unshare", "util-linux"), ("ip", "iproute2"), ("nmap", "nmap")):
        if shutil.which(tool) is None:
            raise Broken(f"{tool} is missing: apt-get install {package}")
    command = ["unshare", "--net", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc",
               "sh", "-c", _INNER, "sh", sys.executable, str(Path(__file__).resolve()),
               "--inside", *argv]
    return subprocess.run(command, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT))).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="camscan runs on the /24")
    parser.add_argument("--nmap-runs", type=int, default=1, help="nmap -sV runs on the /24")
    parser.add_argument("--only", choices=("24", "16", "scaling"), help="run one part only")
    parser.add_argument("--json", help="also write the numbers to this file")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        if args.inside:
            return inside(args)
        return enter_sandbox([a for a in sys.argv[1:] if a != "--inside"])
    except Broken as exc:
        print(f"speed bench broken: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
