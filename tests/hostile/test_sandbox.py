"""Runs tests/hostile/test_hostile_lan.py inside a fresh network sandbox (``unshare --net``).

The sandbox starts with nothing but ``lo``; the LAN of hostile and benign personas is built
inside it and vanishes with it, so nothing hostile can reach or leave by a real interface.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.lan.test_sandbox import _sandbox_works, _unshare_prefix

ROOT = Path(__file__).resolve().parents[2]


def test_hostile_lan_inside_a_network_sandbox() -> None:
    """Every check of test_hostile_lan.py passes inside a sandbox with no real interface."""
    why = _sandbox_works()
    if why:
        pytest.skip(why)
    report = Path(tempfile.mkdtemp(prefix="camscan-hostile-report-")) / "report.json"
    env = dict(
        os.environ,
        CAMSCAN_HOSTILE="inside",
        CAMSCAN_HOSTILE_REPORT=str(report),
        CAMSCAN_LAN_USERNS="0" if os.geteuid() == 0 else "1",
        PYTHONPATH=str(ROOT),
    )
    command = [
        *_unshare_prefix(),
        "sh",
        "-c",
        'mount -t tmpfs tmpfs /run && ip link set lo up && exec "$@"',
        "sh",
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-rs",
        str(ROOT / "tests" / "hostile" / "test_hostile_lan.py"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    if report.exists():
        print(json.dumps(json.loads(report.read_text()), indent=1))
    print(done.stdout[-6000:], done.stderr[-3000:])
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-3000:]
    summary = done.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary and "failed" not in summary
