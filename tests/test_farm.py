"""The sweep spread over helper processes finds exactly what one process finds (loopback)."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.engine import farm
from scanner.engine.farm import FARM_MIN_ADDRESSES, FARM_RATE, SweepJob, processes_for
from scanner.engine.unicast import HostReport, UnicastOptions, probe_hosts
from scanner.errors import UsageError
from scanner.net.pacer import Pacer
from scanner.scope import parse_targets

TARGET = "127.77.62.0/23"  # 510 hosts, every one local: closed ports answer with a RST
OPEN = {("127.77.62.5", 18090), ("127.77.63.7", 18091), ("127.77.63.7", 18090)}


@pytest.fixture(scope="module")
def listeners() -> Iterator[None]:
    socks = []
    for host, port in sorted(OPEN):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(64)
        socks.append(sock)
    yield
    for sock in socks:
        sock.close()


def _scan(processes: int) -> tuple[set[tuple[str, tuple[int, ...]]], list[int]]:
    options = UnicastOptions(
        ports=(18090, 18091), services={18090: ("tcp",), 18091: ("tcp",)},
        connect_timeout=0.5, sweep_processes=processes,
    )
    reports: list[HostReport] = []
    progress: list[int] = []
    asyncio.run(probe_hosts(parse_targets([TARGET]), options, reports.append,
                            lambda done, total: progress.append(done)))
    return {(r.ip, r.open_ports) for r in reports}, progress


def test_helpers_find_what_one_process_finds(listeners: None) -> None:
    """Two sweep helpers report the same hosts and open ports as the in-process sweep, and
    progress still counts every address of the scope."""
    alone, _ = _scan(1)
    farmed, progress = _scan(2)
    assert alone == farmed == {("127.77.62.5", (18090,)), ("127.77.63.7", (18090, 18091))}
    assert progress[-1] == len(parse_targets([TARGET])) and progress == sorted(progress)


def test_only_big_fast_scans_are_spread() -> None:
    """Small scopes and safe rates stay in one process; big unlimited ones are spread."""
    assert processes_for(FARM_MIN_ADDRESSES - 1, Pacer(None, None)) == 1
    assert processes_for(65536, Pacer(1000, 40)) == 1
    assert processes_for(65536, Pacer(FARM_RATE, None)) == 1
    assert processes_for(65536, Pacer(None, None)) >= 1
    assert processes_for(10, Pacer(1000, 40), requested=3) == 3


def test_sweep_job_round_trips_as_json() -> None:
    """The job a helper reads is the job the scan wrote."""
    job = SweepJob(((1, 5), (9, 9)), (80, 443), 1, 2, 1.0, False, 256, 1024, 500.0, None)
    assert SweepJob.from_json(job.to_json()) == job


def test_a_scanner_folder_in_the_working_directory_never_runs(
    listeners: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A decoy scanner/ package in the cwd (and on PYTHONPATH) does not run in the helpers:
    they run camscan's own farm module, and find every open port."""
    decoy = tmp_path / "scanner"
    decoy.mkdir()
    marker = f"import pathlib; pathlib.Path({str(tmp_path / 'ran')!r}).write_text('ran')\n"
    for name in ("__init__.py", "farm.py", "__main__.py"):
        (decoy / name).write_text(marker)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    farmed, _ = _scan(2)
    assert not (tmp_path / "ran").exists()
    assert farmed == {("127.77.62.5", (18090,)), ("127.77.63.7", (18090, 18091))}


@pytest.mark.parametrize(
    ("code", "said"),
    [
        ("import sys; sys.exit(0)", "exit status 0, no end line"),
        ("import sys; sys.exit('helper: out of memory')", "exit status 1, no end line: helper"),
        ("print('end\\t3')", "exit status 0, 3 of 255 addresses"),
    ],
)
def test_a_helper_that_reports_nothing_fails_the_scan(
    listeners: None, monkeypatch: pytest.MonkeyPatch, code: str, said: str
) -> None:
    """A helper that dies, says nothing, or sweeps less than its share ends the scan with a
    one-line error (exit 2 at the CLI), never a scan with results silently missing."""
    monkeypatch.setattr(farm, "helper_command", lambda: [sys.executable, "-I", "-c", code])
    with pytest.raises(UsageError) as failed:
        _scan(2)
    message = str(failed.value)
    assert message.startswith("camscan: sweep helper 1 of 2 failed") and said in message
    assert "\n" not in message and "--rate 20000" in message
