"""The hostile personas scanned on loopback (127.77.1.0/24) with directed discovery.

The quick version of test_hostile_lan.py, without namespaces or multicast: the real scan
(scanner.engine.scan.run_scan), each persona on its own loopback address, the outsider on
127.77.1.250 outside the scope. It runs wherever the suite runs.
"""

from __future__ import annotations

import asyncio
import io
import time
from dataclasses import dataclass

import pytest

from scanner import limits
from scanner.engine.discovery import make_context
from scanner.engine.scan import ScanRequest, run_scan
from scanner.engine.unicast import UnicastOptions
from scanner.model import Device, Outcome
from scanner.output import make_formatter
from scanner.recognize import Recognizer
from scanner.scope import parse_targets
from tests.hostile.lab import personas as hostile
from tests.hostile.lab.lab import HostileLab, Placement
from tests.hostile.lab.personas import load_hostile_personas

OUTSIDER = "127.77.1.250"
VICTIM = "127.77.1.199"
"""In the scope, with listeners on the ports the pivot persona names (PIVOT_PORTS)."""
SCOPE = "127.77.1.1-200"
TIMEOUT = 1.0
DISCOVERY_WINDOW = 2.0
"""Answer window of the discovery probes: the mDNS flood needs time to arrive on a busy CI
machine before it can be seen as one (its records are processed as they come)."""


@dataclass
class Result:
    devices: dict[str, Device]
    report: dict[str, object]
    addresses: dict[str, str]
    seconds: float
    table: str


async def _scan(capture: str | None) -> Result:
    placed = [Placement(p, f"127.77.1.{10 + n}") for n, p in enumerate(load_hostile_personas())]
    devices: list[Device] = []
    async with HostileLab(placed, outsider=OUTSIDER, capture=capture, victim=VICTIM) as lab:
        ports = (lab.http_port, hostile.ONVIF_PORT, hostile.UPNP_PORT)
        unicast = UnicastOptions(
            ports=ports, services={p: ["http"] for p in ports}, timeout=TIMEOUT
        )
        scope = parse_targets([SCOPE])
        targets = tuple(p.address for p in placed)
        discovery = make_context(
            scope, "lo", timeout=DISCOVERY_WINDOW, multicast=False, unicast_targets=targets
        )
        request = ScanRequest(scope, (SCOPE,), unicast, {}, discovery)
        started = time.monotonic()
        info = await run_scan(request, Recognizer.load(), devices.append)
        seconds = time.monotonic() - started
        report = lab.report()
    table = make_formatter("table")
    out = io.StringIO()
    table.begin(out)
    for device in devices:
        table.device(device)
    table.end(info)
    return Result(
        {d.ip: d for d in devices}, report, {p.persona.name: p.address for p in placed},
        seconds, out.getvalue(),
    )


@pytest.fixture(scope="module")
def result(private_network: bool) -> Result:
    return asyncio.run(_scan("lo" if private_network else None))


def _status(device: Device | None, probe: str) -> str:
    found = [s.label() for s in (device.probes if device else ()) if s.probe == probe]
    return found[0] if found else "(no status)"


def test_each_persona_is_reported_with_what_was_wrong(result: Result) -> None:
    """Every expectation of hostile.toml holds: entity refused, truncated, reset, flood..."""
    missing = [
        f"{p.name}: {probe} = {_status(result.devices.get(result.addresses[p.name]), probe)!r}"
        for p in load_hostile_personas()
        for probe, text in p.expect
        if text not in _status(result.devices.get(result.addresses[p.name]), probe)
    ]
    assert not missing, missing


def test_the_outsider_is_never_contacted(result: Result) -> None:
    """No connection reaches the address the redirects, LOCATION and XAddrs name (nor any
    packet, where the capture can run)."""
    outsider = result.report["outsider"]
    assert isinstance(outsider, dict)
    assert outsider["connections"] == [] and outsider["packets"] == 0, outsider


def test_a_device_url_never_aims_the_scan_at_another_host(result: Result) -> None:
    """The pivot persona's LOCATION and XAddrs name ports 6379 and 6380 of another host in
    the scope: that host gets no connection (nor packet, where the capture runs) there, and
    the persona's statuses say why."""
    victim = result.report["victim"]
    assert isinstance(victim, dict) and victim["address"] == VICTIM
    assert victim["connections"] == [] and victim["packets"] == 0, victim
    device = result.devices.get(result.addresses["ssdp-wsd-pivot"])
    for probe in ("upnp", "onvif"):
        assert _status(device, probe).endswith(f"URL host {VICTIM} is not the sender")


def test_slow_and_endless_answers_cost_one_deadline(result: Result) -> None:
    """The slowloris is cut at the exchange deadline and the scan ends soon after the answer
    window and the ONVIF calls, well before the 20 s host deadline (the margin is for a
    loaded machine: an uncut slowloris would take the whole host deadline)."""
    slow = result.devices[result.addresses["http-slowloris"]]
    assert _status(slow, "http") == f"timeout: deadline {TIMEOUT:g} s reached"
    assert result.seconds < limits.HOST_DEADLINE - 5


def test_the_table_shows_no_escape_sequence(result: Result) -> None:
    """The escape-sequence persona's Server header reaches the table without its controls."""
    assert "cam" in result.table
    assert not [c for c in ("\x1b", "\x9b", "\x07", "\u202e") if c in result.table]


def test_a_unicode_location_is_fetched_percent_encoded(result: Result) -> None:
    """A LOCATION path with non-ASCII and a space is asked for percent-encoded (it once made
    the whole SSDP probe fail), and the description it serves is read."""
    hits = result.report["hits"]
    assert isinstance(hits, dict)
    asked = hits["ssdp-location-unicode"]
    assert asked["/r%C3%A1%C3%ADz%20desc.xml"] == 1, asked
    device = result.devices[result.addresses["ssdp-location-unicode"]]
    assert any(o.field == "upnp.description" for o in device.observations)
    assert _status(device, "upnp") == Outcome.OK.value
