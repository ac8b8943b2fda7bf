"""Runs tests/lan/test_lan.py inside a fresh network sandbox (``unshare --net``).

The sandbox starts with nothing but ``lo``; the LAN is built inside it and vanishes with it,
so no packet of these tests can reach a real interface. As root the sandbox has net, mount
and pid namespaces; otherwise a user namespace is added (avahi-daemon is then skipped).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _unshare_prefix() -> list[str]:
    prefix = ["unshare", "--net", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc"]
    return prefix if os.geteuid() == 0 else [prefix[0], "--user", "--map-root-user", *prefix[1:]]


def _sandbox_works() -> str:
    """'' if a sandbox can be made here, else why not."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "unshare or ip (util-linux, iproute2) missing"
    probe = subprocess.run([*_unshare_prefix(), "true"], capture_output=True, text=True)
    return "" if probe.returncode == 0 else f"cannot make namespaces: {probe.stderr.strip()[:120]}"


def run_inside(suite: Path, env: dict[str, str], report: Path | None = None) -> None:
    """Run the pytest file `suite` inside a fresh sandbox; every test in it must pass there.

    Skips when no sandbox can be made here. `env` is added to this process's environment.
    """
    why = _sandbox_works()
    if why:
        pytest.skip(why)
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
        str(suite),
    ]
    full_env = dict(
        os.environ,
        CAMSCAN_LAN_USERNS="0" if os.geteuid() == 0 else "1",
        PYTHONPATH=str(ROOT),
        **env,
    )
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, env=full_env, timeout=300
    )
    if report is not None and report.exists():
        print(json.dumps(json.loads(report.read_text()), indent=1))
    print(done.stdout[-6000:], done.stderr[-3000:])
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-3000:]
    summary = done.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary and "failed" not in summary


def test_lan_inside_a_network_sandbox() -> None:
    """The whole namespace-LAN suite passes inside a sandbox that has no real interface."""
    report = Path(tempfile.mkdtemp(prefix="camscan-lan-report-")) / "report.json"
    env = {"CAMSCAN_LAN": "inside", "CAMSCAN_LAN_REPORT": str(report)}
    run_inside(ROOT / "tests" / "lan" / "test_lan.py", env, report)


def test_no_multicast_holds_inside_a_network_sandbox() -> None:
    """--no-multicast and -i send no IPv4 broadcast or multicast frame (test_leaks.py)."""
    run_inside(ROOT / "tests" / "lan" / "test_leaks.py", {"CAMSCAN_LEAKS": "inside"})
