"""The one small interface every discovery protocol implements, and what they share.

A discovery probe asks the whole LAN at once (multicast or broadcast) and/or each address of
``DiscoveryContext.unicast_targets`` directly ("directed" mode, for cameras in another VLAN),
then reads answers for ``timeout`` seconds. It returns a :class:`DiscoveryResult`: what the
answering hosts said, as observations, and one status per host plus a global one under
``"*"``. It never raises for anything a device does; a bad answer becomes a status.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import quote, urlsplit

from scanner import limits
from scanner.errors import ScopeError, bug_detail
from scanner.model import Observation, Outcome, ProbeStatus
from scanner.net import Network
from scanner.net.pacer import Pacer
from scanner.net.tcp import Net
from scanner.parse.text import cap_text
from scanner.scope import Scope

_URL_SAFE = "/?&=:;@!$'()*+,~%-._"
"""Kept as they are in a path or query (RFC 3986 pchar and '/?'); '%' keeps escapes."""

GLOBAL = "*"
"""Key of the status that describes the probe as a whole (sent, heard, ignored)."""


@dataclass(frozen=True)
class DiscoveryContext:
    """Where and how to ask. Built once per scan (scanner.engine.discovery.make_context)."""

    scope: Scope
    """Only hosts in scope are reported or contacted again (XAddrs, LOCATION)."""
    interface: str | None = None
    """Interface name multicast is pinned to (ARP too); None = the kernel's choice."""
    local_ip: str | None = None
    """IPv4 address of `interface`: IP_MULTICAST_IF, and the mDNS interface."""
    timeout: float = 2.0
    """Answer window in seconds, after the last datagram was sent."""
    multicast: bool = True
    """Ask the LAN as a whole: multicast groups and the interface's broadcast address."""
    unicast_targets: tuple[str, ...] = ()
    """Addresses to send directed probes to (empty = none). Out-of-scope ones are skipped."""
    multicast_ttl: int = 1
    """1 keeps multicast on the link; 0 keeps it on this host (loopback tests)."""
    broadcast: str | None = None
    """Directed broadcast address of `interface` (198.18.0.255); None = send no broadcast."""
    network: Network | None = None
    """The scan's network layer (scanner.engine.scan.run_scan sets it): directed datagrams and
    mDNS queries wait on its pacer (the scan's one rate, ``--rate`` and ``--per-host-rate``)
    and follow-up calls take its TCP slots. None: unpaced, slots of their own."""

    def tcp(self) -> Net:
        """The TCP connections follow-up calls (ONVIF XAddrs, UPnP LOCATION) go through."""
        return self.network.tcp if self.network is not None else Net(self.scope)

    def pacer(self) -> Pacer:
        """The pacer directed datagrams wait on."""
        return self.network.pacer if self.network is not None else Pacer()


@dataclass(frozen=True)
class DiscoveryResult:
    """What one probe (or all of them, merged) found."""

    observations: tuple[Observation, ...] = ()
    statuses: dict[str, ProbeStatus] = field(default_factory=dict)
    """One probe: host ip -> status, plus ``"*"``. Merged (discover_all): keys are
    ``"<probe>/<ip>"`` and ``"<probe>/*"``; use :meth:`host_statuses` to read them."""

    def hosts(self) -> tuple[str, ...]:
        """Every host that answered anything, sorted by address."""
        ips = {o.host for o in self.observations}
        ips |= {key.rpartition("/")[2] for key in self.statuses}
        ips.discard(GLOBAL)
        return tuple(sorted(ips, key=_ip_key))

    def host_statuses(self, ip: str) -> tuple[ProbeStatus, ...]:
        """Statuses about `ip`, from a single probe's result or a merged one."""
        return tuple(s for key, s in self.statuses.items() if key.rpartition("/")[2] == ip)

    def found_by(self, ip: str) -> tuple[str, ...]:
        """Names of the probes `ip` answered (a status other than skipped means it did)."""
        names = {o.probe for o in self.observations if o.host == ip}
        names |= {s.probe for s in self.host_statuses(ip) if s.outcome is Outcome.OK}
        return tuple(sorted(names))

    def observations_of(self, ip: str) -> tuple[Observation, ...]:
        return tuple(o for o in self.observations if o.host == ip)


class DiscoveryProbe(Protocol):
    """One discovery protocol."""

    @property
    def name(self) -> str:
        """Probe name as statuses and observations show it ("wsd", "sadp", ...)."""
        ...

    async def discover(self, ctx: DiscoveryContext) -> DiscoveryResult: ...


def _ip_key(ip: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in ip.split("."))
    except ValueError:
        return (999,)


@dataclass
class Findings:
    """Collects one probe's observations and per-host statuses, bounded and deduplicated: the
    one collector of camscan (discovery probes, service probes through their Recorder, and
    passive listening per protocol)."""

    probe: str
    observations: list[Observation] = field(default_factory=list)
    statuses: dict[str, ProbeStatus] = field(default_factory=dict)
    _seen: set[tuple[str, int | None, str, str]] = field(default_factory=set)
    _per_host: dict[str, int] = field(default_factory=dict)
    _capped: dict[str, int] = field(default_factory=dict)
    """Host -> observations dropped past OBSERVATIONS_PER_HOST_MAX (a flood)."""

    def add(
        self, host: str, port: int | None, field_name: str, value: str | None, *, probe: str = ""
    ) -> None:
        """Record one observation (empty values, repeats and floods are dropped)."""
        if not value:
            return
        if self._per_host.get(host, 0) >= limits.OBSERVATIONS_PER_HOST_MAX:
            self._capped[host] = self._capped.get(host, 0) + 1
            return
        value = cap_text(value, limits.VALUE_MAX)
        key = (host, port, field_name, value)
        if key in self._seen:
            return
        self._seen.add(key)
        self._per_host[host] = self._per_host.get(host, 0) + 1
        self.observations.append(Observation(host, port, probe or self.probe, field_name, value))

    def status(self, host: str, outcome: Outcome, detail: str = "", *, probe: str = "") -> None:
        """Set `host`'s status; an OK never overwrites a problem already recorded."""
        old = self.statuses.get(host)
        if old is not None and outcome is Outcome.OK and old.outcome is not Outcome.OK:
            return
        self.statuses[host] = ProbeStatus(probe or self.probe, outcome, detail)

    def result(self, outcome: Outcome, detail: str = "") -> DiscoveryResult:
        for host, dropped in self._capped.items():
            cap = limits.OBSERVATIONS_PER_HOST_MAX
            self.statuses[host] = ProbeStatus(
                self.statuses[host].probe if host in self.statuses else self.probe,
                Outcome.ERROR,
                f"flood: {dropped} observations past {cap} dropped",
            )
        statuses = dict(self.statuses)
        statuses[GLOBAL] = ProbeStatus(self.probe, outcome, detail)
        return DiscoveryResult(tuple(self.observations), statuses)


async def isolated(findings: Findings, jobs: Iterable[tuple[str, Awaitable[None]]]) -> None:
    """Run per-host follow-up jobs (UPnP descriptions, ONVIF calls) at once; a job that
    raises (a bug) becomes its host's ``error: <Exception>: ...`` status in `findings`
    instead of ending the whole probe with every other host's answers (zgrab2's rule)."""
    pairs = list(jobs)
    outcomes = await asyncio.gather(*(job for _, job in pairs), return_exceptions=True)
    for (host, _), outcome in zip(pairs, outcomes, strict=True):
        if isinstance(outcome, ScopeError) or not isinstance(outcome, Exception | None):
            raise outcome  # the scope guard fired, or a cancellation: not one host's bug
        if isinstance(outcome, Exception):
            findings.status(host, Outcome.ERROR, bug_detail(outcome))


def skipped(probe: str, why: str) -> DiscoveryResult:
    """A result for a probe that did not run (nothing to ask, no permission, ...)."""
    return DiscoveryResult((), {GLOBAL: ProbeStatus(probe, Outcome.SKIPPED, why)})


def merge(results: Iterable[DiscoveryResult]) -> DiscoveryResult:
    """Merge per-probe results: observations in order without repeats, statuses re-keyed."""
    observations: list[Observation] = []
    seen: set[Observation] = set()
    statuses: dict[str, ProbeStatus] = {}
    for result in results:
        for obs in result.observations:
            if obs not in seen:
                seen.add(obs)
                observations.append(obs)
        for key, status in result.statuses.items():
            host = key.rpartition("/")[2]
            statuses[f"{status.probe}/{host}"] = status
    return DiscoveryResult(tuple(observations), statuses)


def summary(answered: int, hosts: int, ignored: int, errors: int, extra: str = "") -> str:
    """The global status detail: '5 answers from 4 hosts, 2 out of scope ignored'."""
    parts = [
        f"{answered} answer{'s' if answered != 1 else ''} from {hosts} host"
        f"{'s' if hosts != 1 else ''}"
    ]
    if ignored:
        parts.append(f"{ignored} out of scope ignored")
    if errors:
        parts.append(f"{errors} unreadable")
    if extra:
        parts.append(extra)
    return ", ".join(parts)


def http_target(url: str) -> tuple[str, int, str] | None:
    """(host, port, path?query) of an http URL with an IPv4 literal host; None otherwise.

    Shared by SSDP LOCATION and ONVIF XAddrs: a device's URL is only a candidate; the caller
    keeps only those on the sender itself (see :func:`own_targets`)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        ipaddress.IPv4Address(host)
        port = parts.port or 80
    except ValueError:
        return None
    if parts.scheme.lower() != "http":
        return None
    # A device's path may hold non-ASCII or spaces: percent-encode it, so the request line
    # stays one ASCII token (a raw 'é' made the whole probe fail with UnicodeEncodeError).
    path = quote(parts.path or "/", safe=_URL_SAFE, errors="backslashreplace")
    query = quote(parts.query, safe=_URL_SAFE, errors="backslashreplace")
    return host, port, f"{path}?{query}" if query else path


def own_targets(
    source: str, urls: Iterable[str], what: str, scope: Scope
) -> tuple[list[tuple[str, int, str]], str]:
    """The http targets among `urls` that lie on `source`, the address that sent them, and
    why the others were left alone ('' when none was).

    A device speaks for itself only: an SSDP LOCATION or an ONVIF XAddr naming another
    host, even one in the scope, would aim camscan at that host's port and path (one
    device made it send GET /evil?cmd=FLUSHALL to another host's port 6379; issue 12). The
    passive path applies the same rule (scanner.passive.datagrams)."""
    own: list[tuple[str, int, str]] = []
    foreign: list[str] = []
    for url in urls:
        found = http_target(url)
        if found is None:
            continue
        if found[0] == source:
            own.append(found)
        elif found[0] not in foreign:
            foreign.append(found[0])
    if own or not foreign:
        return own, ""
    host = foreign[0]
    where = "outside scope, " if not scope.contains(host) else ""
    return own, f"{what} {where}URL host {host} is not the sender"
