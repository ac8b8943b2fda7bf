"""A large, fast sweep in several processes: one per CPU, each with its share of the rate.

One Python process settles roughly 70,000 connects a second (scanner.net.connector), about what
nmap -T4 -sT manages on one core. When the user asks for more than that (``--rate`` above
``FARM_RATE`` or ``unlimited``) on a scope of ``FARM_MIN_ADDRESSES`` or more, the port sweep
runs in helper processes: helper k of n sweeps every n-th address, at 1/n of the global
rate and the full per-host rate (no two helpers share a host), and prints one line per host
with an open port plus running counts. The scanning process reads those lines and runs the
service probes itself, so every device is still judged, merged and written in one place.
Helpers check the scope themselves (they rebuild it from its ranges) and are killed if the
scan ends early.

A helper runs this very module and nothing else: it is started isolated (``python -I``: no
working directory, no PYTHONPATH, no user site on sys.path) with the directory of the
parent's own ``scanner`` package put first, so a ``scanner/`` folder in the working directory
never runs (``python -m scanner.engine.farm`` ran it; issue 12, item 8). Each helper ends with a
line saying how many addresses it swept; a helper that dies or falls short of its share
makes the scan fail with one line, never a scan that exits 0 with results missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TextIO

from scanner.engine.sweep import NAME, PortSweep, sweep
from scanner.errors import UsageError
from scanner.model import Outcome, ProbeStatus
from scanner.net import Network
from scanner.net.pacer import Pacer
from scanner.net.tcp import fd_budget
from scanner.scope import Scope

FARM_MIN_ADDRESSES = 4096
FARM_RATE = 20_000.0
"""Packets per second above which the sweep is spread over processes."""
MAX_PROCESSES = 4
HELPER_MAX_HOSTS = 256
"""Hosts one helper sweeps at once: it is CPU-bound, and more only adds waits for slots."""
_REPORT_EVERY = 0.05
"""Seconds between a helper's progress lines (and flushes)."""
_BOOTSTRAP = (
    "import sys; sys.path.insert(0, sys.argv[1]); from scanner.engine.farm import main; main()"
)
"""What an isolated helper runs: this module, from the parent's own package directory."""

SweptCallback = Callable[[str, PortSweep], Awaitable[None]]


@dataclass(frozen=True)
class SweepJob:
    """What one helper sweeps and how; sent to it as one JSON line on stdin."""

    ranges: tuple[tuple[int, int], ...]
    ports: tuple[int, ...]
    part: int
    parts: int
    timeout: float
    assume_up: bool
    max_hosts: int
    max_connections: int
    rate: float | None
    per_host_rate: float | None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> SweepJob:
        raw = json.loads(text)
        raw["ranges"] = tuple((int(a), int(b)) for a, b in raw["ranges"])
        raw["ports"] = tuple(int(p) for p in raw["ports"])
        return cls(**raw)


def processes_for(addresses: int, pacer: Pacer, requested: int | None = None) -> int:
    """How many sweep processes a scan gets: 1 unless it is big and asked to be fast."""
    if requested is not None:
        return max(1, requested)
    if addresses < FARM_MIN_ADDRESSES:
        return 1
    if pacer.rate is not None and pacer.rate <= FARM_RATE:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_PROCESSES))


def helper_command() -> list[str]:
    """The command line of a helper: isolated, running this package's farm module."""
    package_root = str(Path(__file__).resolve().parents[2])
    return [sys.executable, "-I", "-c", _BOOTSTRAP, package_root]


def share(job: SweepJob, addresses: int) -> int:
    """How many of `addresses` helper ``job.part`` sweeps (every ``job.parts``-th)."""
    return len(range(job.part, addresses, job.parts))


async def farm_sweep(
    job: SweepJob, on_swept: SweptCallback, on_done: Callable[[int], None]
) -> None:
    """Run ``job.parts`` helpers; ``on_swept`` gets each host with an open port, ``on_done``
    the number of hosts finished since its last call. Raises UsageError (one line) if a
    helper fails or does not report its whole share."""
    total = len(Scope((), job.ranges))
    helpers: list[asyncio.subprocess.Process] = []
    try:
        for part in range(job.parts):
            helper = await asyncio.create_subprocess_exec(
                *helper_command(),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            helpers.append(helper)
            assert helper.stdin is not None
            helper.stdin.write(SweepJob(**{**asdict(job), "part": part}).to_json().encode() + b"\n")
            helper.stdin.close()
        swept = await asyncio.gather(*(_read(h, on_swept, on_done) for h in helpers))
        for part, (helper, reported) in enumerate(zip(helpers, swept, strict=True)):
            code = await helper.wait()
            wanted = share(SweepJob(**{**asdict(job), "part": part}), total)
            if code != 0 or reported != wanted:
                raise UsageError(await _failure(helper, part, job.parts, code, reported, wanted))
    finally:
        for helper in helpers:
            if helper.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    helper.kill()
                await helper.wait()


async def _failure(
    helper: asyncio.subprocess.Process, part: int, parts: int, code: int, reported: int | None,
    wanted: int,
) -> str:
    """The one line that says which helper failed, how, and what to do."""
    assert helper.stderr is not None
    lines = (await helper.stderr.read(4096)).decode(errors="replace").strip().splitlines()
    said = f": {lines[-1][:200]}" if lines else ""
    got = "no end line" if reported is None else f"{reported} of {wanted} addresses"
    return (
        f"camscan: sweep helper {part + 1} of {parts} failed (exit status {code}, {got}"
        f"{said}); the results would be incomplete (rerun with --rate {int(FARM_RATE)} or "
        "lower to sweep in this process)"
    )


async def _read(
    helper: asyncio.subprocess.Process, on_swept: SweptCallback, on_done: Callable[[int], None]
) -> int | None:
    """One helper's lines: ``open<TAB>ip<TAB>ports<TAB>outcome<TAB>detail``, ``done<TAB>n``
    and last ``end<TAB>total``; returns that total (None: the helper never said it)."""
    assert helper.stdout is not None
    total: int | None = None
    async for raw in helper.stdout:
        kind, _, rest = raw.decode().rstrip("\n").partition("\t")
        if kind == "done":
            on_done(int(rest))
        elif kind == "end":
            total = int(rest)
        elif kind == "open":
            ip, ports, outcome, detail = rest.split("\t", 3)
            status = ProbeStatus(NAME, Outcome(outcome), detail)
            await on_swept(ip, PortSweep(tuple(int(p) for p in ports.split(",")), status))
    return total


async def run_helper(job: SweepJob, out: TextIO) -> None:
    """The helper's side: sweep every ``parts``-th address, starting at ``part``."""
    scope = Scope((), job.ranges)
    # another process: its own network layer, with its share of the rate (scanner.net)
    net = Network(scope, Pacer(job.rate, job.per_host_rate), fd_budget(job.max_connections)).tcp
    addresses = (ip for i, ip in enumerate(scope.addresses()) if i % job.parts == job.part)
    done, reported, swept_in_all = 0, time.monotonic(), 0

    async def worker() -> None:
        nonlocal done, reported, swept_in_all
        for ip in addresses:
            swept = await sweep(net, ip, job.ports, job.timeout, job.assume_up)
            if swept.open_ports:
                listed = ",".join(map(str, swept.open_ports))
                status = swept.status
                out.write(f"open\t{ip}\t{listed}\t{status.outcome.value}\t{status.detail}\n")
            done += 1
            swept_in_all += 1
            if time.monotonic() - reported >= _REPORT_EVERY:
                out.write(f"done\t{done}\n")
                out.flush()
                done, reported = 0, time.monotonic()

    async with asyncio.TaskGroup() as group:
        for _ in range(max(1, min(job.max_hosts, len(scope) // job.parts + 1))):
            group.create_task(worker())
    out.write(f"done\t{done}\nend\t{swept_in_all}\n")
    out.flush()


def main() -> None:
    """A helper (see helper_command): read one SweepJob line from stdin, sweep, report."""
    try:
        asyncio.run(run_helper(SweepJob.from_json(sys.stdin.readline()), sys.stdout))
    except (KeyboardInterrupt, BrokenPipeError):
        sys.exit(130)


if __name__ == "__main__":
    main()
