"""Runs tests/lan/test_lan.py inside a fresh network sandbox (``unshare --net``).

The sandbox starts with nothing but ``lo``; the LAN is built inside it and vanishes with it,
so no packet of these tests can reach a real interface. As root the sandbox has net, mount
and pid namespaces; otherwise a user namespace is added (avahi-daemon is then skipped).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.sandbox import run_inside

ROOT = Path(__file__).resolve().parents[2]


def test_lan_inside_a_network_sandbox() -> None:
    """The whole namespace-LAN suite passes inside a sandbox that has no real interface."""
    report = Path(tempfile.mkdtemp(prefix="camscan-lan-report-")) / "report.json"
    env = {"CAMSCAN_LAN": "inside", "CAMSCAN_LAN_REPORT": str(report)}
    run_inside(ROOT / "tests" / "lan" / "test_lan.py", env, report)


def test_no_multicast_holds_inside_a_network_sandbox() -> None:
    """--no-multicast and -i send no IPv4 broadcast or multicast frame (test_leaks.py)."""
    run_inside(ROOT / "tests" / "lan" / "test_leaks.py", {"CAMSCAN_LEAKS": "inside"})
