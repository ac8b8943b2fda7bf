"""Runs tests/passive/test_listen_lan.py inside a fresh network sandbox (``unshare --net``).

The sandbox starts with nothing but ``lo``; the lab is built inside it and vanishes with it,
so nothing `camscan listen` or the announcers do can reach a real interface.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.sandbox import ROOT, sandbox_command, sandbox_problem


def test_listen_lan_inside_a_network_sandbox() -> None:
    """The passive LAN tests pass inside a sandbox that has no real interface."""
    why = sandbox_problem()
    if why:
        pytest.skip(why)
    env = dict(os.environ, CAMSCAN_PASSIVE_LAN="inside", PYTHONPATH=str(ROOT))
    command = sandbox_command(
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs",
        str(ROOT / "tests" / "passive" / "test_listen_lan.py"),
    )
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=180)
    print(done.stdout[-6000:], done.stderr[-3000:])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = done.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary and "failed" not in summary
