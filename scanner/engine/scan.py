"""One scan, end to end: discover and probe the scope, judge each host, hand each Device on.

Discovery (multicast and/or directed datagrams) and the unicast port sweep run at the same
time. A host's device is final once its unicast probes are done *and* the discovery answer
window has closed, so observations from every probe merge into one Device per address (the
MAC attached) before it is judged. Devices found only by discovery come out at the end.
The CLI, the demo and the tests all run scans through here.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from scanner import __version__
from scanner.credentials import Credentials
from scanner.engine.credentialed import with_credentials
from scanner.engine.discovery import DiscoveryContext, DiscoveryResult, discover_all
from scanner.engine.unicast import (
    HostCallback,
    HostReport,
    UnicastOptions,
    probe_hosts,
    scan_network,
)
from scanner.model import Device, Observation, ProbeStatus, ScanInfo, now
from scanner.progress import ProgressSink
from scanner.protocols.arp import read_neighbour_table
from scanner.protocols.registry import probes_for
from scanner.recognize import Recognizer
from scanner.scope import Scope

DeviceSink = Callable[[Device], None]


@dataclass(frozen=True)
class ScanRequest:
    """Everything one scan needs besides the recognizer."""

    scope: Scope
    target_texts: tuple[str, ...]
    unicast: UnicastOptions
    options: dict[str, object] = field(default_factory=dict)
    discovery: DiscoveryContext | None = None
    """None: no discovery at all (the port sweep alone)."""
    credentials: Credentials | None = None
    """None: no login is ever attempted (the default). Set: each host serving HTTP gets one
    attempt with the set that covers it (scanner.engine.credentialed)."""


@dataclass
class _Merger:
    """Holds unicast reports until discovery is over, then judges hosts as they complete."""

    recognizer: Recognizer
    on_device: DeviceSink
    discovery: DiscoveryContext | None
    found: DiscoveryResult | None = None
    https_ports: frozenset[int] | None = None
    """Ports the unicast scan looked for HTTPS on (for the http-only finding)."""
    waiting: list[HostReport] = field(default_factory=list)
    judged: set[str] = field(default_factory=set)

    def host_done(self, report: HostReport) -> None:
        if self.discovery is not None and self.found is None:
            self.waiting.append(report)
        else:
            self._emit(report.ip, report)

    def discovery_done(self, found: DiscoveryResult) -> None:
        self.found = found
        waiting, self.waiting = self.waiting, []
        for report in waiting:
            self._emit(report.ip, report)

    def finish(self) -> None:
        """Devices that answered discovery but had no open port."""
        if self.found is None:
            return
        for ip in self.found.hosts():
            if ip not in self.judged:
                self._emit(ip, None)

    def _emit(self, ip: str, report: HostReport | None) -> None:
        self.judged.add(ip)
        observations: list[Observation] = list(report.observations) if report else []
        statuses: list[ProbeStatus] = list(report.statuses) if report else []
        found_by: list[str] = []
        if report is not None and report.open_ports:
            found_by.append("tcp")
        if self.found is not None:
            observations[:0] = self.found.observations_of(ip)
            statuses.extend(self.found.host_statuses(ip))
            found_by[:0] = self.found.found_by(ip)
        if self.discovery is not None and not any(o.field == "mac" for o in observations):
            observations.extend(o for o in read_neighbour_table(self.discovery) if o.host == ip)
        device = self.recognizer.device(
            ip, observations, statuses, found_by, report.open_ports if report else (),
            first_hand=True, https_ports=self.https_ports,
        )
        self.on_device(device)


async def run_scan(
    request: ScanRequest,
    recognizer: Recognizer,
    on_device: DeviceSink,
    on_progress: ProgressSink | None = None,
) -> ScanInfo:
    """Discover and probe every address in scope; call on_device for each device found.

    The scan's one :class:`scanner.net.Network` (its pacer and TCP slots) is made here and
    passed to discovery, the unicast sweep and the credentialed stage."""
    started = now()
    network = scan_network(request.scope, request.unicast)
    discovery = request.discovery
    if discovery is not None:
        discovery = dataclasses.replace(discovery, network=network)
    merger = _Merger(recognizer, on_device, discovery, https_ports=https_ports(request.unicast))
    options = dict(request.options)

    async def discover() -> None:
        if discovery is None:
            return
        found = await discover_all(discovery)
        options["discovery"] = _global_statuses(found)
        merger.discovery_done(found)

    on_host: HostCallback = merger.host_done
    if request.credentials is not None:
        on_host = with_credentials(
            network.tcp, request.credentials, request.unicast, merger.host_done
        )
    await asyncio.gather(
        discover(), probe_hosts(request.scope, request.unicast, on_host, on_progress, network)
    )
    merger.finish()
    return ScanInfo(
        started=started,
        finished=now(),
        targets=request.target_texts,
        ports=tuple(request.unicast.ports),
        command="scan",
        camscan_version=__version__,
        fingerprints=len(recognizer.database),
        options=options,
    )


def https_ports(unicast: UnicastOptions) -> frozenset[int]:
    """The ports of the sweep that get the HTTPS probe when open."""
    return frozenset(
        port for port in unicast.ports
        if any(probe.name == "https" for probe in probes_for(port, unicast.services))
    )


def _global_statuses(found: DiscoveryResult) -> dict[str, str]:
    """How each discovery probe went over the whole scan ("sadp": "ok: 3 answered", ...)."""
    return {
        key.removesuffix("/*"): status.label()
        for key, status in sorted(found.statuses.items())
        if key.endswith("/*")
    }


def identify_info(sources: Sequence[str], count: int) -> ScanInfo:
    """The "scan" object for an offline `camscan identify` run."""
    stamp = now()
    return ScanInfo(
        started=stamp,
        finished=stamp,
        targets=tuple(sources),
        command="identify",
        camscan_version=__version__,
        fingerprints=count,
    )
