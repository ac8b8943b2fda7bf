"""Ask by UDP and collect the answers: multicast, broadcast and directed, done one way.

The socket is opened by scanner.net.udp (multicast pinned to the interface with the TTL
given, no broadcast and no group join without ``ctx.multicast``, 4 MiB buffers); broadcasts
go only to the interface's own directed broadcast address, so they leave through that
interface and no other, and a broadcast address is never a directed target (issue 12,
item 7). Every datagram is cut at ``limits.DATAGRAM_MAX``,
repeats and our own looped-back requests are dropped, answers from outside the scope are
counted and ignored, and directed sends are spaced to ``ctx.rate`` datagrams per second.
Every directed datagram also waits for the scan's pacer (``ctx.network``), so ``--rate``
bounds directed discovery and the port sweep together, and ``--per-host-rate`` holds for
each target: targets are visited in a shuffled order per exchange, so the probes that run at
once rarely queue on the same host. The few LAN-wide datagrams (one or three per protocol)
are not paced.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from scanner import limits
from scanner.errors import DecodeError, bug_detail
from scanner.model import Outcome
from scanner.net.udp import open_exchange_socket
from scanner.parse.kv import normalize_mac
from scanner.protocols.lan import DiscoveryContext, DiscoveryResult, Findings, summary

DATAGRAMS_MAX = 8192
"""Most answers kept from one exchange: a flood costs a known amount of memory."""
EXCHANGE_BYTES_MAX = 8 * 1024 * 1024
"""Most bytes kept from one exchange. The count alone is not a bound: 8192 datagrams of
64 KiB are 512 MiB, which one host answering each probe with a burst of junk reached."""
SOURCE_BYTES_MAX = 256 * 1024
"""Most bytes kept from one source (a real answer is 0.3-4 KiB), so one flooder cannot
crowd the other hosts' answers out of the exchange budget."""


@dataclass(frozen=True)
class UdpPlan:
    """One request/answer exchange of one protocol."""

    port: int
    """Destination port of the requests."""
    payloads: tuple[bytes, ...]
    groups: tuple[str, ...] = ()
    """Multicast groups to send to (when ctx.multicast)."""
    broadcast: bool = False
    """Also send to the interface's directed broadcast address (when ctx.multicast)."""
    bind_port: int = 0
    """Local port: 0 = any; a protocol whose answers go to a fixed port binds that port."""
    listen_groups: tuple[str, ...] = ()
    """Groups to join because answers are sent to the group (SADP)."""


@dataclass(frozen=True)
class Datagram:
    source: str
    port: int
    data: bytes
    truncated: bool = False


@dataclass
class Received:
    """What an exchange received, after the drops described in the module docstring."""

    datagrams: list[Datagram] = field(default_factory=list)
    out_of_scope: int = 0
    echoes: int = 0
    dropped: int = 0
    kept_bytes: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    """Bytes kept per source (for SOURCE_BYTES_MAX)."""
    flooders: dict[str, int] = field(default_factory=dict)
    """Source -> datagrams dropped because it went over its byte budget."""
    sent: int = 0
    send_errors: int = 0
    problem: str = ""
    """Set when the exchange could not run at all (socket refused): the probe reports it."""

    def hosts(self) -> set[str]:
        return {d.source for d in self.datagrams}

    def room(self, source: str, size: int) -> bool:
        """Charge `size` bytes to the exchange and to `source`; False (dropped) if over."""
        used = self.by_source.get(source, 0)
        if used + size > SOURCE_BYTES_MAX:
            self.dropped += 1
            self.flooders[source] = self.flooders.get(source, 0) + 1
            return False
        if len(self.datagrams) >= DATAGRAMS_MAX or self.kept_bytes + size > EXCHANGE_BYTES_MAX:
            self.dropped += 1
            return False
        self.by_source[source] = used + size
        self.kept_bytes += size
        return True


class _Receiver(asyncio.DatagramProtocol):
    def __init__(self, ctx: DiscoveryContext, sent: set[bytes], heard: Received) -> None:
        self.ctx, self.sent, self.heard = ctx, sent, heard
        self.seen: set[tuple[str, bytes]] = set()

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        source, port = str(addr[0]), int(addr[1])
        if data in self.sent:
            self.heard.echoes += 1
            return
        if not self.ctx.scope.contains(source):
            self.heard.out_of_scope += 1
            return
        truncated = len(data) > limits.DATAGRAM_MAX
        data = data[: limits.DATAGRAM_MAX]
        if (source, data) in self.seen:
            return
        if not self.heard.room(source, len(data)):
            return
        self.seen.add((source, data))
        self.heard.datagrams.append(Datagram(source, port, data, truncated))

    def error_received(self, exc: Exception) -> None:
        """ICMP unreachable for a directed probe: that host simply has no such service."""


def open_socket(ctx: DiscoveryContext, plan: UdpPlan) -> socket.socket:
    """A non-blocking UDP socket set up for `plan` (OSError if the system refuses)."""
    return open_exchange_socket(
        local_ip=ctx.local_ip, multicast=ctx.multicast, ttl=ctx.multicast_ttl,
        broadcast=plan.broadcast and bool(ctx.broadcast), bind_port=plan.bind_port,
        listen_groups=plan.listen_groups,
    )


def destinations(ctx: DiscoveryContext, plan: UdpPlan) -> tuple[list[str], list[str]]:
    """(LAN-wide destinations, directed ones) for `plan` under `ctx`."""
    wide: list[str] = []
    if ctx.multicast:
        wide.extend(plan.groups)
        if plan.broadcast and ctx.broadcast:
            wide.append(ctx.broadcast)
    directed = [
        ip for ip in dict.fromkeys(ctx.unicast_targets)
        if ctx.scope.contains(ip) and ip != ctx.broadcast
    ]
    return wide, directed


async def _send_all(
    sock: socket.socket, ctx: DiscoveryContext, plan: UdpPlan, heard: Received
) -> None:
    """LAN-wide requests first, then each payload to every directed target, paced.

    The LAN-wide ones (a group or the broadcast address, a few per protocol) go at once:
    queued behind the port sweep's connects they would open every answer window late."""
    wide, directed = destinations(ctx, plan)
    for address in wide:
        for payload in plan.payloads:
            _send(sock, payload, (address, plan.port), heard)
    if not directed:
        return
    pacer = ctx.pacer()
    random.shuffle(directed)  # the order of sending is not observable in the results
    loop = asyncio.get_running_loop()
    gap = 1.0 / ctx.rate if ctx.rate > 0 else 0.0
    next_at = loop.time()
    for payload in plan.payloads:  # payload-major: one host's datagrams are spread out
        for address in directed:
            delay = next_at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            next_at = max(next_at, loop.time()) + gap
            await pacer.wait(address)
            _send(sock, payload, (address, plan.port), heard)


def _send(sock: socket.socket, payload: bytes, target: tuple[str, int], heard: Received) -> None:
    try:
        sock.sendto(payload, target)
        heard.sent += 1
    except OSError:
        heard.send_errors += 1


async def exchange(ctx: DiscoveryContext, plan: UdpPlan) -> Received:
    """Send `plan`'s requests and collect answers until `ctx.timeout` after the last one."""
    heard = Received()
    wide, directed = destinations(ctx, plan)
    if not wide and not directed:
        heard.problem = "nothing to ask"
        return heard
    try:
        sock = open_socket(ctx, plan)
    except OSError as exc:
        heard.problem = f"socket: {exc.strerror or exc}"
        return heard
    loop = asyncio.get_running_loop()
    sent = set(plan.payloads)
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Receiver(ctx, sent, heard), sock=sock
    )
    try:
        await _send_all(sock, ctx, plan, heard)
        await asyncio.sleep(ctx.timeout)
    finally:
        with contextlib.suppress(OSError):
            transport.close()
    return heard


Reader = Callable[[Datagram, Findings], bool]
"""Reads one answer into findings: True if it was an answer to us, False if it was not
(another prober's, a request); raises DecodeError if it was broken."""


def judge(probe: str, heard: Received, read: Reader) -> DiscoveryResult:
    """Turn what an exchange heard into observations and statuses; never raises: a reader
    that raises on one host's answer (a bug) gives that host ``error: <Exception>: ...``."""
    findings = Findings(probe)
    if heard.problem:
        outcome = Outcome.SKIPPED if heard.problem == "nothing to ask" else Outcome.ERROR
        return findings.result(outcome, heard.problem)
    answered = errors = foreign = 0
    for datagram in heard.datagrams:
        try:
            if datagram.truncated:
                raise DecodeError(f"answer larger than {limits.DATAGRAM_MAX} bytes")
            if not read(datagram, findings):
                foreign += 1
                continue
        except DecodeError as exc:
            errors += 1
            findings.status(datagram.source, Outcome.ERROR, f"bad answer: {str(exc)[:120]}")
            continue
        except Exception as exc:  # noqa: BLE001 - a bug, isolated to this host (zgrab2's rule)
            errors += 1
            findings.status(datagram.source, Outcome.ERROR, bug_detail(exc))
            continue
        answered += 1
        findings.status(datagram.source, Outcome.OK)
    _note_floods(findings, heard)
    good = {h for h, s in findings.statuses.items() if s.outcome is Outcome.OK}
    extra = f"{foreign} not for us" if foreign else ""
    if heard.dropped:
        extra = ", ".join(filter(None, [extra, f"{heard.dropped} dropped (flood)"]))
    detail = summary(answered, len(good), heard.out_of_scope, errors, extra)
    if answered:
        return findings.result(Outcome.OK, detail)
    return findings.result(Outcome.ERROR if errors else Outcome.NO_ANSWER, detail)


def _note_floods(findings: Findings, heard: Received) -> None:
    """A host that went over its byte budget is an error, whatever else it sent."""
    for source, count in heard.flooders.items():
        note = f"flood: {count} datagrams past {SOURCE_BYTES_MAX // 1024} KiB dropped"
        old = findings.statuses.get(source)
        if old is not None and old.outcome is Outcome.ERROR and old.detail:
            note = f"{old.detail}; {note}"
        findings.status(source, Outcome.ERROR, note)


def record_json(
    findings: Findings, source: str, answer: tuple[int, str, str], section: object, mac_key: str
) -> bool:
    """Record a JSON answer ``(port, field, text)`` and the MAC its ``section`` (a JSON object)
    names under ``mac_key``; True: it was an answer (the Reader convention)."""
    port, field_name, text = answer
    mac = section.get(mac_key) if isinstance(section, dict) else None
    findings.add(source, port, field_name, text)
    findings.add(source, None, "mac", normalize_mac(mac) if isinstance(mac, str) else None)
    return True
