"""A large, fast sweep in several processes: one per CPU, each with its share of the rate.

One Python process settles roughly 70,000 connects a second (scanner.connector), about what
nmap -T4 -sT manages on one core. When the user asks for more than that (``--rate`` above
``FARM_RATE`` or ``unlimited``) on a scope of ``FARM_MIN_ADDRESSES`` or more, the port sweep
runs in helper processes (``python -m scanner.farm``): helper k of n sweeps every n-th
address, at 1/n of the global rate and the full per-host rate (no two helpers share a
host), and prints one line per host with an open port plus running counts. The scanning
process reads those lines and runs the service probes itself, so every device is still
judged, merged and written in one place. Helpers check the scope themselves (they rebuild
it from its ranges) and are killed if the scan ends early.
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

from scanner.model import Outcome, ProbeStatus
from scanner.net import Net, fd_budget
from scanner.pacing import Pacer
from scanner.probes.tcp import NAME, PortSweep, sweep
from scanner.scope import Scope

FARM_MIN_ADDRESSES = 4096
FARM_RATE = 20_000.0
"""Packets per second above which the sweep is spread over processes."""
MAX_PROCESSES = 4
HELPER_MAX_HOSTS = 256
"""Hosts one helper sweeps at once: it is CPU-bound, and more only adds waits for slots."""
_REPORT_EVERY = 0.05
"""Seconds between a helper's progress lines (and flushes)."""

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


async def farm_sweep(
    job: SweepJob, on_swept: SweptCallback, on_done: Callable[[int], None]
) -> None:
    """Run ``job.parts`` helpers; ``on_swept`` gets each host with an open port, ``on_done``
    the number of hosts finished since its last call. Raises RuntimeError if one fails."""
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    helpers: list[asyncio.subprocess.Process] = []
    try:
        for part in range(job.parts):
            helper = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "scanner.farm",
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=env,
            )
            helpers.append(helper)
            assert helper.stdin is not None
            helper.stdin.write(SweepJob(**{**asdict(job), "part": part}).to_json().encode() + b"\n")
            helper.stdin.close()
        await asyncio.gather(*(_read(h, on_swept, on_done) for h in helpers))
        for helper in helpers:
            if await helper.wait() != 0:
                assert helper.stderr is not None
                why = (await helper.stderr.read(4096)).decode(errors="replace").strip()
                raise RuntimeError(f"sweep helper failed: {why.splitlines()[-1] if why else '?'}")
    finally:
        for helper in helpers:
            if helper.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    helper.kill()
                await helper.wait()


async def _read(
    helper: asyncio.subprocess.Process, on_swept: SweptCallback, on_done: Callable[[int], None]
) -> None:
    """One helper's lines: ``open<TAB>ip<TAB>ports<TAB>outcome<TAB>detail`` or ``done<TAB>n``."""
    assert helper.stdout is not None
    async for raw in helper.stdout:
        kind, _, rest = raw.decode().rstrip("\n").partition("\t")
        if kind == "done":
            on_done(int(rest))
        elif kind == "open":
            ip, ports, outcome, detail = rest.split("\t", 3)
            status = ProbeStatus(NAME, Outcome(outcome), detail)
            await on_swept(ip, PortSweep(tuple(int(p) for p in ports.split(",")), status))


async def run_helper(job: SweepJob, out: TextIO) -> None:
    """The helper's side: sweep every ``parts``-th address, starting at ``part``."""
    scope = Scope((), job.ranges)
    net = Net(scope, fd_budget(job.max_connections), Pacer(job.rate, job.per_host_rate))
    addresses = (ip for i, ip in enumerate(scope.addresses()) if i % job.parts == job.part)
    done, reported = 0, time.monotonic()

    async def worker() -> None:
        nonlocal done, reported
        for ip in addresses:
            swept = await sweep(net, ip, job.ports, job.timeout, job.assume_up)
            if swept.open_ports:
                listed = ",".join(map(str, swept.open_ports))
                status = swept.status
                out.write(f"open\t{ip}\t{listed}\t{status.outcome.value}\t{status.detail}\n")
            done += 1
            if time.monotonic() - reported >= _REPORT_EVERY:
                out.write(f"done\t{done}\n")
                out.flush()
                done, reported = 0, time.monotonic()

    async with asyncio.TaskGroup() as group:
        for _ in range(max(1, min(job.max_hosts, len(scope) // job.parts + 1))):
            group.create_task(worker())
    out.write(f"done\t{done}\n")
    out.flush()


def main() -> None:
    """``python -m scanner.farm``: read one SweepJob line from stdin, sweep, report."""
    try:
        asyncio.run(run_helper(SweepJob.from_json(sys.stdin.readline()), sys.stdout))
    except (KeyboardInterrupt, BrokenPipeError):
        sys.exit(130)


if __name__ == "__main__":
    main()
