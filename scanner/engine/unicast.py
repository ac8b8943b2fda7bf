"""The unicast scan: sweep each host's TCP ports, then run the service probes on open ones.

Memory stays flat however large the scope: addresses are pulled one at a time from
``Scope.addresses()`` by ``max_hosts`` workers (no task per address up front), connections
are bounded by ``max_connections`` slots in ``Net``, and each finished host is handed to
``on_host`` at once rather than collected. Every connect waits for the scan's pacer
(``scanner.net.pacer``): at most ``rate`` per second overall and ``per_host_rate`` per address.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from scanner import limits
from scanner.engine.farm import HELPER_MAX_HOSTS, SweepJob, farm_sweep, processes_for
from scanner.engine.sweep import PortSweep, sweep
from scanner.errors import UsageError
from scanner.model import Observation, Outcome, ProbeStatus
from scanner.net import Network
from scanner.net.pacer import Pacer
from scanner.net.tcp import fd_budget
from scanner.protocols.host import (
    BANNER_WINDOW,
    ProbeContext,
    ProbeResult,
    ServiceProbe,
    run_guarded,
    seconds,
)
from scanner.protocols.registry import DEFAULT_PORTS, PROBES, check_services, probes_for
from scanner.scope import Scope

#: Which status wins when one probe ran on several ports (first = best).
_RANK = (
    Outcome.OK,
    Outcome.ERROR,
    Outcome.TIMEOUT,
    Outcome.REFUSED,
    Outcome.NO_ANSWER,
    Outcome.SKIPPED,
)
_ORDER = ("tcp", *(probe.name for probe in PROBES))


@dataclass(frozen=True)
class UnicastOptions:
    """How the unicast scan runs (defaults from ``scanner.limits``)."""

    ports: tuple[int, ...] = DEFAULT_PORTS
    services: Mapping[int, Sequence[str]] = field(default_factory=dict)
    """Port -> probe names, replacing the default map for those ports; its ports are swept
    too (the simulated LAN serves HTTP on 10080, RTSP on 10554, ...)."""
    timeout: float = limits.READ_DEADLINE
    """Answer window of one exchange."""
    connect_timeout: float = limits.CONNECT_TIMEOUT
    tls_timeout: float = limits.TLS_HANDSHAKE_DEADLINE
    banner_window: float = BANNER_WINDOW
    host_deadline: float = limits.HOST_DEADLINE
    max_hosts: int = limits.DEFAULT_MAX_HOSTS
    max_connections: int = limits.DEFAULT_MAX_CONNECTIONS
    rate: float | None = None
    """Connection attempts per second over the whole scan; None = unlimited."""
    per_host_rate: float | None = None
    """Connection attempts per second to any one address; None = unlimited. Both make
    the pacer of the scan's :class:`scanner.net.Network` (:func:`scan_network`), which
    discovery's datagrams and follow-ups share; ``camscan scan`` sets them from --rate and
    --per-host-rate (defaults ``limits.DEFAULT_RATE`` and ``DEFAULT_PER_HOST_RATE``)."""
    report_silent: bool = False
    """Also report hosts with no open port (they are not devices, but it shows they answered)."""
    assume_up: bool = False
    """Sweep every port of every address, even one silent on the first two (nmap's -Pn)."""
    sweep_processes: int | None = None
    """Processes that sweep (scanner.engine.farm); None: one per CPU for a big scope at a rate one
    process cannot send, else 1 (the sweep runs in this process)."""

    def with_max_hosts(self, max_hosts: int) -> UnicastOptions:
        return dataclasses.replace(self, max_hosts=max_hosts)


@dataclass(frozen=True, slots=True)
class HostReport:
    """Everything the unicast scan learnt about one host."""

    ip: str
    open_ports: tuple[int, ...]
    observations: tuple[Observation, ...]
    statuses: tuple[ProbeStatus, ...]
    """One per probe name that ran ("tcp" first), merged over ports."""


HostCallback = Callable[[HostReport], Awaitable[None] | None]
ProgressCallback = Callable[[int, int], None]
"""Called with (addresses done, addresses in all) after each address."""


def _port_plan(options: UnicastOptions) -> tuple[tuple[int, ...], dict[int, tuple[str, ...]]]:
    services = check_services(options.services)
    ports = tuple(sorted(set(options.ports) | set(services)))
    if not ports:
        raise UsageError("camscan: no ports to scan (give at least one, e.g. 80)")
    for port in ports:
        if not 0 < port < 65536:
            raise UsageError(f"camscan: port {port} is not a TCP port (1-65535)")
    if options.max_hosts < 1 or options.max_connections < 1:
        raise UsageError("camscan: --max-hosts and --max-connections must be at least 1")
    if options.rate is not None and options.rate <= 0:
        raise UsageError("camscan: --rate must be a positive number of packets per second")
    if options.per_host_rate is not None and options.per_host_rate <= 0:
        raise UsageError("camscan: --per-host-rate must be a positive number per second")
    return ports, services


def scan_network(scope: Scope, options: UnicastOptions) -> Network:
    """The one network layer of a scan: ``options``' rates and connection slots.

    Bad options raise UsageError first, before any pacer or slot is made."""
    _port_plan(options)
    return Network(
        scope, Pacer(options.rate, options.per_host_rate), fd_budget(options.max_connections)
    )


async def probe_hosts(
    scope: Scope,
    options: UnicastOptions,
    on_host: HostCallback,
    on_progress: ProgressCallback | None = None,
    network: Network | None = None,
) -> None:
    """Scan every address of ``scope``; call ``on_host`` for each host with an open port.

    ``on_host`` may be a plain function or a coroutine function; an exception it raises
    stops the scan and propagates. Bad options raise UsageError before anything is sent.
    ``network`` is the scan's (scanner.engine.scan.run_scan); None: one made from ``options``.
    """
    ports, services = _port_plan(options)
    network = network or scan_network(scope, options)
    pacer, net = network.pacer, network.tcp
    ctx = ProbeContext(
        net,
        timeout=options.timeout,
        connect_timeout=options.connect_timeout,
        tls_timeout=options.tls_timeout,
        banner_window=options.banner_window,
    )
    progress = _Progress(len(scope), on_progress)
    parts = 1 if options.report_silent else processes_for(
        len(scope), pacer, options.sweep_processes
    )
    try:
        if parts > 1:
            job = _sweep_job(scope, ports, options, pacer, parts)
            await _farmed(ctx, job, services, options, on_host, progress)
            return
        addresses = scope.addresses()

        async def worker() -> None:
            for ip in addresses:  # workers share one iterator: each address is taken once
                report = await probe_host(ctx, ip, ports, services, options)
                if report is not None:
                    await _deliver(on_host, report)
                progress.add(1)

        async with asyncio.TaskGroup() as group:
            for _ in range(min(options.max_hosts, len(scope))):
                group.create_task(worker())
    except BaseExceptionGroup as failed:  # surface the first real error, not a group
        raise failed.exceptions[0] from None


def _sweep_job(
    scope: Scope, ports: tuple[int, ...], options: UnicastOptions, pacer: Pacer, parts: int
) -> SweepJob:
    """What each sweep helper is told: its share of the global rate, the full per-host one."""
    return SweepJob(
        scope.ranges, ports, 0, parts, options.connect_timeout, options.assume_up,
        min(options.max_hosts, HELPER_MAX_HOSTS), options.max_connections,
        pacer.rate / parts if pacer.rate else None, pacer.per_host,
    )


@dataclass
class _Progress:
    total: int
    sink: ProgressCallback | None
    done: int = 0

    def add(self, count: int) -> None:
        self.done += count
        if self.sink is not None:
            self.sink(self.done, self.total)


async def _deliver(on_host: HostCallback, report: HostReport) -> None:
    outcome = on_host(report)
    if inspect.isawaitable(outcome):
        await outcome


async def _farmed(
    ctx: ProbeContext,
    job: SweepJob,
    services: Mapping[int, Sequence[str]],
    options: UnicastOptions,
    on_host: HostCallback,
    progress: _Progress,
) -> None:
    """Helpers sweep (scanner.engine.farm); this process probes the open ports they report."""
    queue: asyncio.Queue[tuple[str, PortSweep] | None] = asyncio.Queue(4 * options.max_hosts)

    async def swept(ip: str, result: PortSweep) -> None:
        await queue.put((ip, result))

    async def prober() -> None:
        while (item := await queue.get()) is not None:
            report = await probe_swept(ctx, item[0], item[1], services, options)
            if report is not None:
                await _deliver(on_host, report)

    async with asyncio.TaskGroup() as group:
        probers = [group.create_task(prober()) for _ in range(options.max_hosts)]
        await farm_sweep(job, swept, progress.add)
        for _ in probers:
            await queue.put(None)


async def probe_host(
    ctx: ProbeContext,
    ip: str,
    ports: Sequence[int],
    services: Mapping[int, Sequence[str]],
    options: UnicastOptions,
) -> HostReport | None:
    """Sweep one host, then probe its open ports within ``options.host_deadline``.

    The deadline starts after the sweep (bounded by the connect timeout on its own), so
    time spent waiting for connection slots on a busy scan is not charged to the device.
    """
    swept = await sweep(ctx.net, ip, ports, ctx.connect_timeout, options.assume_up)
    return await probe_swept(ctx, ip, swept, services, options)


async def probe_swept(
    ctx: ProbeContext,
    ip: str,
    swept: PortSweep,
    services: Mapping[int, Sequence[str]],
    options: UnicastOptions,
) -> HostReport | None:
    """Run the service probes on the open ports of a host already swept."""
    if not swept.open_ports:
        return HostReport(ip, (), (), (swept.status,)) if options.report_silent else None
    jobs = [(port, probe) for port in swept.open_ports for probe in probes_for(port, services)]
    results = await _run_all(ctx, ip, jobs, options.host_deadline)
    observations = [obs for _, result in results for obs in result.observations]
    statuses = merge_statuses([(port, result.status) for port, result in results])
    return HostReport(
        ip,
        swept.open_ports,
        tuple(observations[: limits.OBSERVATIONS_PER_HOST_MAX]),
        (swept.status, *statuses),
    )


async def _run_all(
    ctx: ProbeContext,
    ip: str,
    jobs: list[tuple[int, ServiceProbe]],
    host_deadline: float,
) -> list[tuple[int, ProbeResult]]:
    """Run every (port, probe) at once; those still running at the host deadline time out."""
    tasks = [asyncio.create_task(run_guarded(probe, ctx, ip, port)) for port, probe in jobs]
    if not tasks:
        return []
    _, pending = await asyncio.wait(tasks, timeout=host_deadline)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)  # let them close their sockets
    results: list[tuple[int, ProbeResult]] = []
    for (port, probe), task in zip(jobs, tasks, strict=True):
        if task in pending:
            detail = f"host deadline {seconds(host_deadline)} s reached"
            late = ProbeStatus(probe.name, Outcome.TIMEOUT, detail)
            results.append((port, ProbeResult((), late)))
        else:
            results.append((port, task.result()))  # a bug or a ScopeError surfaces here
    return results


def merge_statuses(items: Sequence[tuple[int, ProbeStatus]]) -> tuple[ProbeStatus, ...]:
    """One status per probe name: the best outcome; per-port labels when several ports ran."""
    by_name: dict[str, list[tuple[int, ProbeStatus]]] = {}
    for port, status in items:
        by_name.setdefault(status.probe, []).append((port, status))
    merged: list[ProbeStatus] = []
    for name in sorted(by_name, key=lambda n: _ORDER.index(n) if n in _ORDER else len(_ORDER)):
        entries = by_name[name]
        if len(entries) == 1:
            merged.append(entries[0][1])
            continue
        best = min((status.outcome for _, status in entries), key=_RANK.index)
        detail = "; ".join(f"{port} {status.label()}" for port, status in entries)
        merged.append(ProbeStatus(name, best, detail))
    return tuple(merged)
