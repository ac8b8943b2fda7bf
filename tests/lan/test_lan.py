"""Discovery on a LAN of network namespaces: every persona and every real daemon is found.

Runs only inside the network sandbox made by test_sandbox.py (CAMSCAN_LAN=inside), where this
pytest process is the scanner 198.18.0.2 and has no interface but lo and the lab's veth.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.discovery import DiscoveryResult, discover_all, make_context
from scanner.scope import parse_targets
from scanner.sim.personas import load_personas
from scanner.sim.responders import load_discovery_personas
from scanner.unicast import HostReport, UnicastOptions, probe_hosts

from .harness import DAEMONS, Lan, addresses_here, running_lan, sh, udp_sockets

pytestmark = pytest.mark.skipif(
    os.environ.get("CAMSCAN_LAN") != "inside", reason="runs inside the sandbox (test_sandbox.py)"
)
TARGET = "198.18.0.0/24"
WINDOW = 2.0
DAEMON_PROBES = {"avahi": {"mdns"}, "wsdd": {"wsd"}, "minidlna": {"ssdp", "upnp"}}
UNICAST = UnicastOptions(max_connections=4096)
"""Default options but for the connection slots: with the default 512, the SYNs to 210 empty
addresses x 17 ports wait out their 1 s connect timeout in ~16 rounds (measured 9-48 s)."""


@pytest.fixture(scope="module")
def lan() -> Iterator[Lan]:
    multicast = [p.name for p in load_discovery_personas()]
    unicast = [p.name for p in load_personas()]
    with running_lan(multicast, unicast) as running:
        yield running


def _run(coroutine: object) -> object:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


async def _scan(multicast: bool, directed: bool) -> tuple[DiscoveryResult, list[HostReport], float]:
    scope = parse_targets([TARGET])
    targets = tuple(scope.addresses()) if directed else ()
    ctx = make_context(scope, "lan0", timeout=WINDOW, multicast=multicast, unicast_targets=targets)
    reports: list[HostReport] = []
    started = time.monotonic()
    found, _ = await asyncio.gather(discover_all(ctx), probe_hosts(scope, UNICAST, reports.append))
    return found, reports, time.monotonic() - started


def _found_by(found: DiscoveryResult, reports: list[HostReport]) -> dict[str, set[str]]:
    table: dict[str, set[str]] = {ip: set(found.found_by(ip)) for ip in found.hosts()}
    for report in reports:
        names = {o.probe for o in report.observations} | {"tcp"}
        table.setdefault(report.ip, set()).update(names)
    return {ip: names for ip, names in table.items() if names - {"arp", "neighbour"}}


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


def test_default_scan_finds_every_persona_and_daemon(lan: Lan) -> None:
    """Multicast discovery plus the TCP scan of the /24 finds all personas and daemons."""
    found, reports, seconds = _run(_scan(multicast=True, directed=False))  # type: ignore[misc]
    table = _found_by(found, reports)
    _write_report("multicast+unicast", lan, table, seconds)
    assert _missing(lan, table, lan.daemons) == []
    assert [n for n, ip in lan.unicast.items() if "tcp" not in table.get(ip, set())] == []
    assert len(lan.multicast) + len(lan.unicast) >= 30
    outside = set(table) - {*lan.multicast.values(), *lan.unicast.values(), *lan.daemons.values()}
    assert outside == set(), "something answered that the lab did not start"


def test_directed_discovery_alone_finds_the_same_set(lan: Lan) -> None:
    """Multicast off, a directed probe to each of the 254 addresses: the same devices answer,
    except the two daemons that only read requests sent to the group (MULTICAST_ONLY)."""
    found, _, seconds = _run(_scan(multicast=False, directed=True))  # type: ignore[misc]
    table = _found_by(found, [])
    _write_report("directed only", lan, table, seconds)
    deaf = {d: ip for d, ip in lan.daemons.items() if d in MULTICAST_ONLY}
    hearing = {d: ip for d, ip in lan.daemons.items() if d not in deaf}
    assert _missing(lan, table, hearing) == []
    assert all(_group_socket(d) for d in deaf)
    assert [d for d, ip in deaf.items() if ip in table] == []


def test_replies_from_outside_the_scope_are_ignored(lan: Lan) -> None:
    """With a scope of 198.18.0.21-30, only those hosts are reported; the rest are counted."""
    scope = parse_targets(["198.18.0.21-30"])
    found = _run(discover_all(make_context(scope, "lan0", timeout=WINDOW)))
    assert isinstance(found, DiscoveryResult)
    inside = {f"198.18.0.{n}" for n in range(21, 31)}
    assert set(found.hosts()) <= inside
    assert set(found.hosts()) & inside
    details = [s.detail for key, s in found.statuses.items() if key.endswith("/*")]
    assert any("out of scope ignored" in detail for detail in details)
