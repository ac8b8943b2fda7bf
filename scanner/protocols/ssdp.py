"""SSDP M-SEARCH over UDP 1900, then the UPnP description each answer points to.

Two searches (``ssdp:all`` and ``upnp:rootdevice``, UPnP Device Architecture 1.1 §1.3) go to
239.255.255.250:1900 and, as unicast M-SEARCH (no MX, HOST = the target), to each directed
target. Every distinct answer is kept whole as ``ssdp.response``. The ``LOCATION`` of an
answer is fetched (``upnp.description``) only when its host is the IPv4 address that sent
the answer (port and path as given); a LOCATION naming any other host, in the scope or not,
stays what it is, a header inside the observation, and is never contacted (the status says
``URL host X is not the sender``). All fetching goes through ``scanner.net``.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from scanner import limits
from scanner.errors import DecodeError
from scanner.model import Outcome
from scanner.net.tcp import Net, deadline_after
from scanner.parse.kv import decode_text
from scanner.parse.ssdp import parse_ssdp
from scanner.parse.upnp import parse_upnp_description
from scanner.protocols.field import FieldSpec
from scanner.protocols.host import ProbeContext, ProbeFailed, connect
from scanner.protocols.lan import (
    DiscoveryContext,
    DiscoveryResult,
    Findings,
    http_target,
    isolated,
    merge,
    own_targets,
)
from scanner.protocols.listening import NOTIFY_PER_HOST, Listening, Memory, remember
from scanner.protocols.stream import Document, parses
from scanner.protocols.udp import Datagram, UdpPlan, exchange, judge

if TYPE_CHECKING:
    from scanner.passive.heard import Heard
from scanner.protocols.spec import ProtocolSpec
from scanner.protocols.web import build_request, read_response

PORT = 1900
GROUP = "239.255.255.250"
TARGETS = ("ssdp:all", "upnp:rootdevice")
ANSWERS_PER_HOST = 16
LOCATIONS_PER_HOST = 2
FETCH_PROBE = "upnp"


def search(target: str, mx: int) -> bytes:
    return (
        f'M-SEARCH * HTTP/1.1\r\nHOST: {GROUP}:{PORT}\r\nMAN: "ssdp:discover"\r\n'
        f"MX: {mx}\r\nST: {target}\r\n\r\n"
    ).encode()


def location_target(url: str) -> tuple[str, int, str] | None:
    """(host, port, path?query) of an http LOCATION with an IPv4 literal host; None otherwise."""
    return http_target(url)


class SsdpProbe:
    name = "ssdp"

    async def discover(self, ctx: DiscoveryContext) -> DiscoveryResult:
        mx = max(1, min(5, int(ctx.timeout)))
        plan = UdpPlan(PORT, tuple(search(t, mx) for t in TARGETS), groups=(GROUP,))
        locations: dict[str, list[str]] = {}
        counts: dict[str, int] = {}

        def read(datagram: Datagram, findings: Findings) -> bool:
            return read_answer(locations, counts, datagram, findings)

        result = judge(self.name, await exchange(ctx, plan), read)
        if not locations:
            return result
        fetched = Findings(FETCH_PROBE)
        await fetch_all(ctx.tcp(), fetched, locations, max(ctx.timeout, 1.0))
        return merge([result, DiscoveryResult(tuple(fetched.observations), fetched.statuses)])


def read_answer(
    locations: dict[str, list[str]],
    counts: dict[str, int],
    datagram: Datagram,
    findings: Findings,
) -> bool:
    message = parse_ssdp(datagram.data)
    if not message.is_response:
        return False  # an M-SEARCH or NOTIFY from someone else
    if b"\r\n\r\n" not in datagram.data and b"\n\n" not in datagram.data:
        raise DecodeError("answer cut short (no blank line after the headers)")
    counts[datagram.source] = counts.get(datagram.source, 0) + 1
    if counts[datagram.source] > ANSWERS_PER_HOST:
        return True
    findings.add(datagram.source, PORT, "ssdp.response", decode_text(datagram.data))
    if message.location:
        urls = locations.setdefault(datagram.source, [])
        if message.location not in urls:
            urls.append(message.location)
    return True


async def fetch_all(
    net: Net, findings: Findings, locations: dict[str, list[str]], timeout: float
) -> None:
    """GET each answering host's first LOCATIONs that lie on that host itself."""
    ctx = ProbeContext(net, timeout=timeout)
    jobs: list[tuple[str, Coroutine[Any, Any, None]]] = []
    for source, urls in locations.items():
        own, why = own_targets(source, urls, "LOCATION", net.scope)
        if why:
            findings.status(source, Outcome.SKIPPED, why)
        jobs.extend(
            (t[0], fetch(ctx, findings, *t)) for t in dict.fromkeys(own[:LOCATIONS_PER_HOST])
        )
    await isolated(findings, jobs)


async def fetch(ctx: ProbeContext, findings: Findings, host: str, port: int, path: str) -> None:
    """One description document: upnp.description if it is one, a status either way."""
    try:
        connection = await connect(ctx, host, port)
    except ProbeFailed as failed:
        findings.status(host, failed.outcome, failed.detail or f"port {port} closed")
        return
    async with connection:
        deadline = deadline_after(ctx.timeout)
        try:
            await connection.send(build_request(host, port, path, 80), deadline)
            answer = await read_response(
                connection.reader, deadline, ctx.timeout, body_max=limits.XML_MAX
            )
        except ProbeFailed as failed:
            findings.status(host, failed.outcome, failed.detail)
            return
        except (OSError, TimeoutError) as exc:
            findings.status(host, Outcome.ERROR, f"description: {exc}")
            return
    if answer.head.status != 200:
        findings.status(host, Outcome.ERROR, f"description: HTTP {answer.head.status}")
        return
    text = decode_text(answer.body)
    try:
        parse_upnp_description(text)
    except DecodeError as exc:
        findings.status(host, Outcome.ERROR, f"not a UPnP description: {exc}")
        return
    findings.add(host, port, "upnp.description", text)
    findings.status(host, Outcome.OK)


def _server_of(value: str) -> list[tuple[str, str]]:
    """ssdp.response -> ssdp.server."""
    server = parse_ssdp(value).server
    return [("ssdp.server", server)] if server else []


#: The observation fields this protocol emits (gathered by scanner.protocols.registry).
FIELDS = (
    FieldSpec("ssdp.response", table=lambda value: parse_ssdp(value).table(), derive=_server_of),
    FieldSpec("ssdp.server"),
    FieldSpec("upnp.description", table=lambda value: parse_upnp_description(value).table()),
)


def hear(heard: Heard, memory: Memory, datagram: Datagram) -> bool:
    """A datagram heard on the SSDP port: NOTIFY (alive, byebye, update) and M-SEARCH answers
    -> ``ssdp.response``; M-SEARCH queries are someone else's, not a device's."""
    message = parse_ssdp(datagram.data)
    if message.is_response:
        return read_answer(memory.locations, memory.answers, datagram, heard.findings_for("ssdp"))
    if not message.start_line.upper().startswith("NOTIFY"):
        return False  # an M-SEARCH: someone looking, not a device
    kept = memory.notifies.setdefault(datagram.source, set())
    text = decode_text(datagram.data)
    if hash(text) not in kept and len(kept) < NOTIFY_PER_HOST:
        kept.add(hash(text))
        heard.add("ssdp", datagram.source, PORT, "ssdp.response", text)
        remember(memory.locations, datagram.source, [message.location or ""])
    return True


def announced(memory: Memory, host: str) -> list[tuple[str, int, str] | None]:
    return [location_target(url) for url in memory.locations.get(host, [])]


LISTENING = Listening("ssdp", PORT, (GROUP,), hear, announced)


#: A UPnP description seen served in a capture (scanner.protocols.http reads the page).
DOCUMENT = Document(
    FETCH_PROBE,
    "upnp.description",
    lambda text: "<root" in text[:512] and parses(parse_upnp_description, text),
)


PROTOCOL = ProtocolSpec(
    "ssdp", "lan", FIELDS, discovery=SsdpProbe(), listening=LISTENING, document=DOCUMENT
)
