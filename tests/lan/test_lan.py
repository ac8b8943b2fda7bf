"""The real `camscan scan` on a LAN of network namespaces: every persona and daemon is found.

Runs only inside the network sandbox made by test_sandbox.py (CAMSCAN_LAN=inside), where this
pytest process is the scanner 198.18.0.2 and has no interface but lo and the lab's veth.
The scans are the CLI's own (``scanner.cli.main`` in this process, default options unless
the test says otherwise), so what is checked here is what a user gets.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from scanner.cli import main
from scanner.discovery import DiscoveryResult, discover_all, make_context
from scanner.output import load_schema
from scanner.recognize import Recognizer
from scanner.scope import parse_targets
from scanner.sim.personas import load_personas
from scanner.sim.responders import load_discovery_personas

from .harness import DAEMONS, Lan, addresses_here, running_lan, sh, udp_sockets

pytestmark = pytest.mark.skipif(
    os.environ.get("CAMSCAN_LAN") != "inside", reason="runs inside the sandbox (test_sandbox.py)"
)
TARGET = "198.18.0.0/24"
WINDOW = 2.0
DAEMON_PROBES = {"avahi": {"mdns"}, "wsdd": {"wsd"}, "minidlna": {"ssdp", "upnp"}}
LINK_ONLY = {"arp", "neighbour"}
"""Probes that only prove an address is in use; a device needs another to count as found."""


@pytest.fixture(scope="module")
def lan() -> Iterator[Lan]:
    multicast = [p.name for p in load_discovery_personas()]
    unicast = [p.name for p in load_personas()]
    with running_lan(multicast, unicast) as running:
        yield running


def _cli_scan(workdir: Path, *extra: str) -> tuple[dict[str, Any], float]:
    """`camscan scan 198.18.0.0/24 -f json -o FILE [extra]`, run in this process."""
    path = workdir / "scan.json"
    started = time.monotonic()
    with pytest.raises(SystemExit) as stopped:
        main(["scan", TARGET, "-f", "json", "-o", str(path), *extra])
    seconds = time.monotonic() - started
    assert stopped.value.code == 0
    document: dict[str, Any] = json.loads(path.read_text())
    return document, seconds


def _found_by(document: dict[str, Any]) -> dict[str, set[str]]:
    """ip -> the probes its device names, for devices found by more than ARP."""
    table = {d["ip"]: set(d["found_by"]) for d in document["devices"]}
    return {ip: names for ip, names in table.items() if names - LINK_ONLY}


def _write_report(name: str, lan: Lan, table: dict[str, set[str]], seconds: float) -> None:
    path = os.environ.get("CAMSCAN_LAN_REPORT")
    if not path:
        return
    report = json.loads(Path(path).read_text()) if Path(path).exists() else {}
    who = {
        **{a: n for n, a in lan.multicast.items()},
        **{a: n for n, a in lan.unicast.items()},
        **{a: n for n, a in lan.daemons.items()},
    }
    report[name] = {
        "seconds": round(seconds, 2),
        "setup_seconds": round(lan.setup_seconds, 2),
        "skipped_daemons": lan.skipped_daemons,
        "found": {who.get(ip, ip): sorted(p) for ip, p in sorted(table.items())},
    }
    Path(path).write_text(json.dumps(report, indent=1))


def _missing(lan: Lan, table: dict[str, set[str]], daemons: dict[str, str]) -> list[str]:
    """Every persona/daemon whose expected probes did not all find it."""
    expected = {p.name: set(p.expect) for p in load_discovery_personas()}
    problems = [
        f"{name} ({ip}): {sorted(table.get(ip, set()))} lacks {sorted(expected[name])}"
        for name, ip in lan.multicast.items()
        if not expected[name] <= table.get(ip, set())
    ]
    problems += [
        f"{daemon} ({ip}): {sorted(table.get(ip, set()))}"
        for daemon, ip in daemons.items()
        if not DAEMON_PROBES[daemon] <= table.get(ip, set())
    ]
    return problems


def _misnamed(lan: Lan, document: dict[str, Any]) -> list[str]:
    """Personas whose maker can be named from what they answer but was not (or was wrong)."""
    vocabulary = Recognizer.load().database.vocabulary
    made = {d["ip"]: d["verdict"]["manufacturer"] for d in document["devices"]}
    wrong = [
        f"{p.name}: {made.get(lan.unicast[p.name])} != {p.label.manufacturer}"
        for p in load_personas()
        if p.identifiable_unicast and made.get(lan.unicast[p.name]) != p.label.manufacturer
    ]
    for persona in load_discovery_personas():
        label = persona.label.get("manufacturer")
        want = label and (vocabulary.canonical(label) or label)
        got = made.get(lan.multicast[persona.name])
        if want and got != want:
            wrong.append(f"{persona.name}: {got} != {want}")
    return wrong


MULTICAST_ONLY = {"wsdd", "minidlna"}
"""Daemons that read discovery requests only from a socket bound to the group address:
minidlna binds its SSDP socket to 239.255.255.250:1900; wsdd binds 239.255.255.250:3702 for
requests (its 198.18.0.12:3702 socket only sends). A directed datagram cannot reach either."""


def _group_socket(daemon: str) -> bool:
    return any(a.startswith("239.255.255.250:") for a in udp_sockets(DAEMONS[daemon][0]))


def test_sandbox_has_no_real_interface(lan: Lan) -> None:
    """Only lo and the lab veth exist here, with loopback and lab addresses only."""
    lines = sh("ip", "-o", "link").splitlines()
    links = {line.split(":")[1].strip().split("@")[0] for line in lines}
    assert links == {"lo", "lan0"}
    for entry in addresses_here():
        address = ipaddress.IPv4Interface(entry.split()[1]).ip
        assert address.is_loopback or address in ipaddress.IPv4Network("198.18.0.0/15"), entry
    assert sh("ip", "route", "show", "default").split()[:3] == ["default", "via", "198.18.0.254"]


def test_default_scan_finds_every_persona_and_daemon(lan: Lan, tmp_path: Path) -> None:
    """`camscan scan 198.18.0.0/24` with default options finds every persona and daemon by the
    probes each should answer, names the makers the answers allow, finds nothing else, and
    writes a document that validates against the camscan/1 schema."""
    document, seconds = _cli_scan(tmp_path)
    table = _found_by(document)
    _write_report("camscan scan (defaults)", lan, table, seconds)
    assert _missing(lan, table, lan.daemons) == []
    assert [n for n, ip in lan.unicast.items() if "tcp" not in table.get(ip, set())] == []
    assert len(lan.multicast) + len(lan.unicast) >= 30
    lab = {*lan.multicast.values(), *lan.unicast.values(), *lan.daemons.values()}
    # A daemon that is not installed still has its namespace and address, which answer ARP
    # (the neighbour table reports them): the lab made those hosts too.
    lab |= {DAEMONS[name][1] for name in lan.skipped_daemons}
    assert {d["ip"] for d in document["devices"]} <= lab, "something the lab did not start"
    assert all(d["found_by"] for d in document["devices"]), "a device names no probe"
    assert _misnamed(lan, document) == []
    plan = document["scan"]["options"]["discovery_plan"]
    assert (plan["interface"], plan["multicast"], plan["directed_targets"]) == ("lan0", True, 0)
    jsonschema.validate(document, load_schema())


def test_directed_discovery_alone_finds_the_same_set(lan: Lan, tmp_path: Path) -> None:
    """`--unicast-discovery --no-multicast`: a directed probe to each of the 254 addresses
    finds the same devices, except the two daemons that only read requests sent to the
    group (MULTICAST_ONLY)."""
    document, seconds = _cli_scan(tmp_path, "--unicast-discovery", "--no-multicast")
    table = _found_by(document)
    _write_report("camscan scan --unicast-discovery --no-multicast", lan, table, seconds)
    deaf = {d: ip for d, ip in lan.daemons.items() if d in MULTICAST_ONLY}
    hearing = {d: ip for d, ip in lan.daemons.items() if d not in deaf}
    assert _missing(lan, table, hearing) == []
    assert [n for n, ip in lan.unicast.items() if "tcp" not in table.get(ip, set())] == []
    assert all(_group_socket(d) for d in deaf)
    assert [d for d, ip in deaf.items() if ip in table] == []
    plan = document["scan"]["options"]["discovery_plan"]
    assert (plan["multicast"], plan["directed_targets"]) == (False, 254)


def test_replies_from_outside_the_scope_are_ignored(lan: Lan) -> None:
    """With a scope of 198.18.0.21-30, only those hosts are reported; the rest are counted."""
    scope = parse_targets(["198.18.0.21-30"])
    found = asyncio.run(discover_all(make_context(scope, "lan0", timeout=WINDOW)))
    assert isinstance(found, DiscoveryResult)
    inside = {f"198.18.0.{n}" for n in range(21, 31)}
    assert set(found.hosts()) <= inside
    assert set(found.hosts()) & inside
    details = [s.detail for key, s in found.statuses.items() if key.endswith("/*")]
    assert any("out of scope ignored" in detail for detail in details)
