"""The sweep spread over helper processes finds exactly what one process finds (loopback)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

from scanner.farm import FARM_MIN_ADDRESSES, FARM_RATE, SweepJob, processes_for
from scanner.pacing import Pacer
from scanner.scope import parse_targets
from scanner.unicast import HostReport, UnicastOptions, probe_hosts

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
