"""Runs tests/hostile/test_hostile_lan.py inside a fresh network sandbox (``unshare --net``).

The sandbox starts with nothing but ``lo``; the LAN of hostile and benign personas is built
inside it and vanishes with it, so nothing hostile can reach or leave by a real interface.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.sandbox import run_inside

ROOT = Path(__file__).resolve().parents[2]


def test_hostile_lan_inside_a_network_sandbox() -> None:
    """Every check of test_hostile_lan.py passes inside a sandbox with no real interface."""
    report = Path(tempfile.mkdtemp(prefix="camscan-hostile-report-")) / "report.json"
    env = {"CAMSCAN_HOSTILE": "inside", "CAMSCAN_HOSTILE_REPORT": str(report)}
    run_inside(ROOT / "tests" / "hostile" / "test_hostile_lan.py", env, report)
