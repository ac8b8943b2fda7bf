"""mDNS / DNS-SD through python-zeroconf: camscan never parses DNS itself.

Browsed: the service-type enumeration (``_services._dns-sd._udp.local.``, RFC 6763 §9) plus
the types cameras and NVRs are known to publish (``_CGI._tcp`` Hikvision, ``_axis-video._tcp``
Axis, ``_psia._tcp``, ``_onvif._tcp``, ``_rtsp._tcp``, ``_http._tcp``; docs/protocols.md §mDNS).
Types learned from the enumeration are browsed too (at most ``EXTRA_TYPES_MAX``). Each
instance is resolved (SRV, TXT, A) and reported for each of its IPv4 addresses inside the
scope: ``mdns.instance`` (the full instance name, service type included) and ``mdns.txt``
(``key=value`` pairs). Addresses outside the scope are counted and ignored.

Multicast mode uses a zeroconf bound to ``ctx.local_ip`` (the interface given); directed mode
uses a second, unicast-only zeroconf (ephemeral port, no multicast socket at all) and asks
each target directly, so the responder answers it by legacy unicast (RFC 6762 §6.7).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from zeroconf import BadTypeInNameException, IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from scanner import limits
from scanner.model import Outcome
from scanner.net.mdns import zeroconf
from scanner.parse.mdns import parse_txt
from scanner.parse.text import cap_text
from scanner.protocols.field import FieldSpec
from scanner.protocols.lan import DiscoveryContext, DiscoveryResult, Findings, summary

PORT = 5353
ENUMERATION = "_services._dns-sd._udp.local."
KNOWN_TYPES = (
    "_CGI._tcp.local.",
    "_axis-video._tcp.local.",
    "_psia._tcp.local.",
    "_onvif._tcp.local.",
    "_rtsp._tcp.local.",
    "_http._tcp.local.",
)
EXTRA_TYPES_MAX = 32
INSTANCES_MAX = 1024
TXT_ENTRIES_MAX = 64
_SEND_BUFFER = 4 * 1024 * 1024


@dataclass
class _State:
    """Everything one run learned; shared by the browser callbacks."""

    ctx: DiscoveryContext
    findings: Findings
    types: set[tuple[str | None, str]] = field(default_factory=set)
    instances: set[tuple[str | None, str, str]] = field(default_factory=set)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    browsers: list[AsyncServiceBrowser] = field(default_factory=list)
    cached: set[tuple[str, str]] = field(default_factory=set)
    """(type, name) of instances resolved from the cache, without a query of their own."""
    out_of_scope: int = 0
    unresolved: int = 0
    over_budget: int = 0
    """Instances that needed a query of their own after INSTANCES_MAX were asked."""


def txt_text(properties: dict[bytes, bytes | None]) -> str:
    """TXT entries as space-separated ``key=value`` (bare ``key`` when it has no value)."""
    parts: list[str] = []
    for key, value in list(properties.items())[:TXT_ENTRIES_MAX]:
        name = key.decode("utf-8", "replace")
        parts.append(name if value is None else f"{name}={value.decode('utf-8', 'replace')}")
    return " ".join(" ".join(p.split()) for p in parts)


def record(state: _State, info: AsyncServiceInfo) -> None:
    """One resolved instance -> observations for each of its in-scope IPv4 addresses."""
    addresses = info.parsed_addresses(IPVersion.V4Only)
    inside = [a for a in addresses if state.ctx.scope.contains(a)]
    if not inside:
        state.out_of_scope += 1 if addresses else 0
        state.unresolved += 0 if addresses else 1
        return
    name = cap_text(info.name, limits.HEADER_VALUE_MAX)
    txt = txt_text(info.properties) if info.properties else ""
    for address in inside:
        state.findings.add(address, info.port, "mdns.instance", name)
        state.findings.add(address, info.port, "mdns.txt", txt)
        state.findings.status(address, Outcome.OK)


async def resolve(state: _State, zc: Zeroconf, type_: str, name: str, addr: str | None) -> None:
    info = AsyncServiceInfo(type_, name)
    timeout_ms = max(250.0, state.ctx.timeout * 1000)
    try:
        found = await info.async_request(zc, timeout_ms, addr=addr, port=PORT)
    except (BadTypeInNameException, OSError, ValueError):
        found = False
    if found:
        record(state, info)
    else:
        state.unresolved += 1


def _handler(state: _State, zc: Zeroconf, addr: str | None) -> Callable[..., None]:
    def on_change(
        zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        if state_change is not ServiceStateChange.Added:
            return
        if service_type == ENUMERATION:
            _browse_type(state, zc, name, addr)
            return
        _added(state, zc, service_type, name, addr)

    return on_change


def _added(state: _State, zc: Zeroconf, service_type: str, name: str, addr: str | None) -> None:
    """Record an instance whose records came with its PTR at once; resolve others by query.

    Only the queries are budgeted (INSTANCES_MAX): a host that floods complete records costs
    no budget (its observations are capped per host), so it cannot starve other hosts'
    instances of resolution, as it did when every instance counted.
    """
    if (service_type, name) in state.cached:
        return
    try:
        info = AsyncServiceInfo(service_type, name)
        complete = info.load_from_cache(zc)
    except (BadTypeInNameException, ValueError):
        return
    if complete:
        state.cached.add((service_type, name))
        record(state, info)
        return
    key = (addr, service_type, name)
    if key in state.instances:
        return
    if len(state.instances) >= INSTANCES_MAX:
        state.over_budget += 1
        return
    state.instances.add(key)
    task = asyncio.ensure_future(resolve(state, zc, service_type, name, addr))
    state.tasks.add(task)
    task.add_done_callback(state.tasks.discard)


def _browse_type(state: _State, zc: Zeroconf, type_: str, addr: str | None) -> None:
    """Start browsing a type learned from the enumeration (bounded, once per target)."""
    type_ = type_ if type_.endswith(".") else f"{type_}."
    if (addr, type_) in state.types or type_ in KNOWN_TYPES:
        return
    if len({t for _, t in state.types}) >= EXTRA_TYPES_MAX + len(KNOWN_TYPES) + 1:
        return
    state.types.add((addr, type_))
    with contextlib.suppress(BadTypeInNameException, ValueError):
        state.browsers.append(
            AsyncServiceBrowser(zc, [type_], handlers=[_handler(state, zc, addr)], addr=addr)
        )


def _browse(state: _State, zc: Zeroconf, addr: str | None) -> None:
    types = [ENUMERATION, *KNOWN_TYPES]
    state.types.update((addr, t) for t in types)
    state.browsers.append(
        AsyncServiceBrowser(zc, types, handlers=[_handler(state, zc, addr)], addr=addr)
    )


def _widen(zc: Zeroconf) -> None:
    """Room for directed queries: datagrams to hosts with unresolved ARP stay charged to the
    socket for seconds; without this the transport pauses and zeroconf logs an error."""
    for wrapped in zc.engine.senders:
        transport = wrapped.transport
        with contextlib.suppress(OSError, AttributeError):
            if isinstance(transport, asyncio.WriteTransport):
                transport.set_write_buffer_limits(high=_SEND_BUFFER)
            transport.get_extra_info("socket").setsockopt(
                socket.SOL_SOCKET, socket.SO_SNDBUF, _SEND_BUFFER
            )


async def _run(state: _State, zc: Zeroconf, targets: list[str | None]) -> None:
    await zc.async_wait_for_start()  # a query sent before the sockets are up is lost
    if any(addr is not None for addr in targets):
        _widen(zc)
    pacer = state.ctx.pacer()
    for addr in targets:
        if addr is not None:
            # One burst of queries (one per type browsed) to the target: it takes one turn of
            # the per-host limit, and each query a turn of the global rate, so targets are not
            # held 1/per-host-rate apart for every query.
            await pacer.wait(addr)
            for _ in range(len(KNOWN_TYPES)):
                await pacer.overall.wait()
        _browse(state, zc, addr)
    await asyncio.sleep(state.ctx.timeout)
    if state.tasks:
        await asyncio.wait(set(state.tasks), timeout=state.ctx.timeout + 1.0)
    for browser in state.browsers:
        await browser.async_cancel()


def _zeroconf(ctx: DiscoveryContext, unicast: bool) -> AsyncZeroconf:
    return zeroconf(ctx.local_ip, unicast)


class MdnsProbe:
    name = "mdns"

    async def discover(self, ctx: DiscoveryContext) -> DiscoveryResult:
        findings = Findings(self.name)
        state = _State(ctx, findings)
        directed = [ip for ip in dict.fromkeys(ctx.unicast_targets) if ctx.scope.contains(ip)]
        if not ctx.multicast and not directed:
            return findings.result(Outcome.SKIPPED, "nothing to ask")
        jobs: list[tuple[AsyncZeroconf, list[str | None]]] = []
        try:
            if ctx.multicast:
                jobs.append((_zeroconf(ctx, unicast=False), [None]))
            if directed:
                jobs.append((_zeroconf(ctx, unicast=True), list(directed)))
            await asyncio.gather(*(_run(state, azc.zeroconf, t) for azc, t in jobs))
        except OSError as exc:
            return findings.result(Outcome.ERROR, f"mDNS socket: {exc.strerror or exc}")
        finally:
            for azc, _ in jobs:
                await azc.async_close()
        return _result(state)


def _result(state: _State) -> DiscoveryResult:
    findings = state.findings
    hosts = [h for h, s in findings.statuses.items() if s.outcome is Outcome.OK]
    notes = [f"{state.unresolved} unresolved"] if state.unresolved else []
    if state.over_budget:
        notes.append(f"{state.over_budget} past {INSTANCES_MAX} not asked")
    extra = ", ".join(notes)
    count = len({(o.host, o.value) for o in findings.observations if o.field == "mdns.instance"})
    detail = summary(count, len(hosts), state.out_of_scope, 0, extra)
    return findings.result(Outcome.OK if hosts else Outcome.NO_ANSWER, detail)


#: The observation fields this protocol emits (gathered by scanner.protocols.registry).
FIELDS = (
    FieldSpec("mdns.instance"),
    FieldSpec("mdns.txt", table=lambda value: parse_txt(value).table()),
)
