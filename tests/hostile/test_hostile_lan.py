"""A scan of a LAN where hostile personas stand beside benign ones (inside the sandbox only).

Runs only inside the network sandbox made by test_sandbox.py (CAMSCAN_HOSTILE=inside). The
scan runs in a process of its own (scan_runner.py, built as `camscan scan TARGET --timeout T`
builds it) so that its time, peak memory and error output are its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scanner import limits
from scanner.protocols import onvif
from scanner.recognize import Recognizer
from scanner.sim.personas import load_personas
from scanner.sim.responders import load_discovery_personas
from tests.hostile.lab.personas import ESCAPE_SERVER, load_hostile_personas

from .lan import OUTSIDER, SCOPE, VICTIM, HostileLan, running, stop

pytestmark = pytest.mark.skipif(
    os.environ.get("CAMSCAN_HOSTILE") != "inside",
    reason="runs inside the sandbox (tests/hostile/test_sandbox.py)",
)
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 5.0
"""The answer window and each exchange's deadline: `camscan scan --timeout`'s default is 2 s,
but here one process serves every hostile persona beside the floods, and on a loaded CI
machine it answered a 2 s exchange too late (issue 12). What the personas do to the scan
does not depend on the window; the deadlines themselves are tested on loopback."""
RSS_MAX_MIB = 150
UNSAFE_FOR_A_TERMINAL = ("\x1b", "\x9b", "\x07", "\u202e", "\x00")


def scan_deadline(timeout: float) -> float:
    """The longest a scan may take by design, with the CLI's defaults and every host at once.

    Unicast: the liveness connect, the connect to the other ports, then the host deadline
    that cuts every probe of the host. Discovery: the answer window, then the ONVIF
    follow-up calls one after another (each a connect plus an exchange); every other
    discovery step (UPnP fetch, mDNS resolution) ends sooner.
    """
    unicast = 2 * limits.CONNECT_TIMEOUT + limits.HOST_DEADLINE
    follow_ups = len(onvif.CALLS) * (limits.CONNECT_TIMEOUT + max(timeout, 1.0))
    return max(unicast, timeout + follow_ups)


@dataclass
class Scanned:
    lan: HostileLan
    summary: dict[str, Any]
    returncode: int
    stderr: str
    devices: dict[str, dict[str, Any]]
    """ip -> device object of the JSON document."""
    table: str
    csv: str
    report: dict[str, Any]
    """The hostile lab's report: what reached the outsider, requests per path."""


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scanned]:
    out = tmp_path_factory.mktemp("scan")
    multicast = [p.name for p in load_discovery_personas()]
    unicast = [p.name for p in load_personas()]
    hostile = [p.name for p in load_hostile_personas()]
    with running(multicast, unicast, hostile) as lan:
        time.sleep(0.5)  # zeroconf personas: past their name probing
        command = [sys.executable, str(Path(__file__).with_name("scan_runner.py")), SCOPE,
                   str(TIMEOUT), str(out)]
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
        stop(lan)
        report = json.loads(lan.report_path.read_text())
        lines = done.stdout.strip().splitlines()
        summary = json.loads(lines[-1]) if lines else {}
        document = json.loads((out / "scan.json").read_text()) if done.returncode == 0 else {}
        scanned = Scanned(
            lan, summary, done.returncode, done.stderr,
            {d["ip"]: d for d in document.get("devices", [])},
            (out / "scan.txt").read_text() if done.returncode == 0 else "",
            (out / "scan.csv").read_text() if done.returncode == 0 else "",
            report,
        )
        _write_report(scanned)
        yield scanned


def _write_report(scanned: Scanned) -> None:
    """For the outer test to print: the measurements and each hostile persona's statuses."""
    path = os.environ.get("CAMSCAN_HOSTILE_REPORT")
    if not path:
        return
    statuses = {
        name: scanned.devices.get(address, {}).get("probes", {})
        for name, address in scanned.lan.hostile.items()
    }
    document = {"scan": scanned.summary, "lab": scanned.report, "hostile": statuses}
    Path(path).write_text(json.dumps(document, indent=1))


def test_scan_ends_and_prints_no_traceback(scanned: Scanned) -> None:
    """The scan exits 0, with nothing on stderr and no error inside the event loop."""
    assert scanned.returncode == 0, scanned.stderr[-3000:]
    assert "Traceback" not in scanned.stderr, scanned.stderr[-3000:]
    assert scanned.summary["errors"] == []


def test_scan_ends_within_its_deadline(scanned: Scanned) -> None:
    """Slowloris, endless bodies, floods: the scan still ends within its deadline, give or
    take 5 s for a loaded machine (a stuck exchange would never end)."""
    assert scanned.summary["seconds"] <= scan_deadline(TIMEOUT) + 5.0, scanned.summary


def test_peak_memory_stays_small(scanned: Scanned) -> None:
    """Bombs, junk and floods notwithstanding, the scan's peak RSS is at most 150 MiB."""
    assert scanned.summary["peak_rss_mib"] <= RSS_MAX_MIB, scanned.summary


def test_nothing_is_sent_outside_the_scope(scanned: Scanned) -> None:
    """Redirects, LOCATION and XAddrs point at the outsider; it gets no connection and no
    packet at all (a listener on each port they name, and a capture of its interface)."""
    outsider = scanned.report["outsider"]
    assert outsider["address"] == OUTSIDER and outsider["capturing"] == "lan0"
    assert outsider["connections"] == [] and outsider["packets"] == 0, outsider
    answers = scanned.report["answers"]
    assert answers["ssdp-location-outside"] and answers["wsd-xaddr-outside"]
    outside = scanned.devices[scanned.lan.hostile["http-redirect-outside"]]
    assert _observed(outside, "http.location") == [f"http://{OUTSIDER}/"]


def test_a_device_url_never_aims_the_scan_at_another_host(scanned: Scanned) -> None:
    """The pivot persona's LOCATION (port 6379, GET /evil?cmd=FLUSHALL) and XAddrs (port 6380,
    /onvif/../../admin/reboot.cgi) name another host of the scope: that host's listeners and
    the capture on its interface see nothing on those ports, and the statuses say why."""
    victim = scanned.report["victim"]
    assert victim["address"] == VICTIM and victim["capturing"] == "lan0"
    assert victim["watched_ports"] == [6379, 6380]
    assert victim["connections"] == [] and victim["packets"] == 0, victim
    assert scanned.report["answers"]["ssdp-wsd-pivot"] >= 2
    device = scanned.devices[scanned.lan.hostile["ssdp-wsd-pivot"]]
    for probe in ("upnp", "onvif"):
        assert device["probes"][probe].endswith(f"URL host {VICTIM} is not the sender")


def test_every_benign_persona_is_still_identified(scanned: Scanned) -> None:
    """Every benign persona whose answers name its maker is named right, hostile neighbours
    notwithstanding."""
    vocabulary = Recognizer.load().database.vocabulary
    wanted = {
        scanned.lan.benign_unicast[p.name]: p.label.manufacturer
        for p in load_personas()
        if p.identifiable_unicast
    }
    for persona in load_discovery_personas():
        label = persona.label.get("manufacturer")
        if label:
            address = scanned.lan.benign_multicast[persona.name]
            wanted[address] = vocabulary.canonical(label) or label
    who = scanned.lan.who()
    wrong = [
        f"{who[ip]}: {scanned.devices.get(ip, {}).get('verdict', {}).get('manufacturer')} "
        f"!= {maker}"
        for ip, maker in wanted.items()
        if scanned.devices.get(ip, {}).get("verdict", {}).get("manufacturer") != maker
    ]
    assert not wrong, wrong
    assert len(wanted) >= 25


def test_hostile_personas_are_reported_with_what_was_wrong(scanned: Scanned) -> None:
    """Each hostile persona's status says what it did ('XML entity refused', 'answer
    truncated at 64 KiB', 'flood', 'outside scope', ...), as hostile.toml expects."""
    missing = []
    for persona in load_hostile_personas():
        device = scanned.devices.get(scanned.lan.hostile[persona.name], {})
        for probe, text in persona.expect:
            got = device.get("probes", {}).get(probe, "(no status)")
            if text not in got:
                missing.append(f"{persona.name}: {probe} = {got!r}, wanted {text!r}")
    assert not missing, missing


def test_escape_sequences_never_reach_a_terminal(scanned: Scanned) -> None:
    """The escape-sequence Server header is kept exactly in JSON, and neither the table nor
    the CSV carries a control or bidi character of it."""
    device = scanned.devices[scanned.lan.hostile["http-escape-sequences"]]
    assert _observed(device, "http.server") == [ESCAPE_SERVER.decode("latin-1")]
    for text in (scanned.table, scanned.csv):
        assert "cam" in text
        assert not [c for c in UNSAFE_FOR_A_TERMINAL if c in text]


def test_redirects_are_recorded_never_followed(scanned: Scanned) -> None:
    """The redirect loop is asked for / and /favicon.ico once each, nothing more."""
    assert scanned.report["hits"]["http-redirect-loop"] == {"/": 1, "/favicon.ico": 1}
    device = scanned.devices[scanned.lan.hostile["http-redirect-loop"]]
    assert _observed(device, "http.location") == ["/"]


def _observed(device: dict[str, Any], field: str) -> list[str]:
    return [o["value"] for o in device.get("observations", []) if o["field"] == field]
