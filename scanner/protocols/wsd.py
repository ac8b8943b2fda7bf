"""WS-Discovery (ONVIF) over UDP 3702, then the unauthenticated ONVIF calls.

Three Probes are sent, each with its own MessageID, to 239.255.255.250:3702 and to each
directed target: ``dn:NetworkVideoTransmitter`` and ``tds:Device`` (cameras answer one or the
other, docs/protocols.md §WS-Discovery), and ``wsdp:Device``, the only Types a Windows-style
responder such as wsdd answers (tests/lan/README.md). A device answers a Probe only if it has
every type listed, so the types are never combined. An answer counts only if its RelatesTo
names one of our MessageIDs (an answer without RelatesTo is accepted: some stacks leave it out).

Each answer is kept whole as ``wsd.probematch``; then, for every answering host, its first
XAddr on that host itself gets the ONVIF follow-up calls (scanner.protocols.onvif).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from scanner.errors import DecodeError
from scanner.parse.kv import decode_text
from scanner.parse.wsd import parse_probematch, probematch_table
from scanner.parse.xmlsafe import parse_xml
from scanner.protocols import onvif
from scanner.protocols.field import FieldSpec
from scanner.protocols.lan import DiscoveryContext, DiscoveryResult, Findings, merge
from scanner.protocols.listening import AnyMessage, Listening, Memory, remember
from scanner.protocols.spec import ProtocolSpec
from scanner.protocols.udp import Datagram, UdpPlan, exchange, judge

if TYPE_CHECKING:
    from scanner.passive.heard import Heard

PORT = 3702
GROUP = "239.255.255.250"
TYPES = (
    ("dn", "http://www.onvif.org/ver10/network/wsdl", "NetworkVideoTransmitter"),
    ("tds", "http://www.onvif.org/ver10/device/wsdl", "Device"),
    ("wsdp", "http://schemas.xmlsoap.org/ws/2006/02/devprof", "Device"),
)


def probe_message(message_id: str, prefix: str, namespace: str, name: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
        'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" '
        f'xmlns:{prefix}="{namespace}"><s:Header>'
        '<a:Action s:mustUnderstand="1">'
        "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>"
        f"<a:MessageID>{message_id}</a:MessageID>"
        "<a:ReplyTo><a:Address>"
        "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
        "</a:Address></a:ReplyTo>"
        '<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>'
        f"</s:Header><s:Body><d:Probe><d:Types>{prefix}:{name}</d:Types></d:Probe>"
        "</s:Body></s:Envelope>"
    ).encode()


def _bare(message_id: str) -> str:
    """'urn:uuid:ABC' / 'uuid:abc' / 'abc' -> 'abc' (devices echo either form)."""
    text = message_id.strip().lower()
    for prefix in ("urn:", "uuid:"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return text


class WsdProbe:
    name = "wsd"

    async def discover(self, ctx: DiscoveryContext) -> DiscoveryResult:
        ids = [f"urn:uuid:{uuid.uuid4()}" for _ in TYPES]
        payloads = tuple(probe_message(i, *t) for i, t in zip(ids, TYPES, strict=True))
        plan = UdpPlan(PORT, payloads, groups=(GROUP,))
        ours = {_bare(i) for i in ids}
        xaddrs: dict[str, list[str]] = {}
        seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()

        def read(datagram: Datagram, findings: Findings) -> bool:
            return read_answer(ours, xaddrs, seen, datagram, findings)

        result = judge(self.name, await exchange(ctx, plan), read)
        if not xaddrs:
            return result
        follow = Findings(onvif.PROBE)
        await onvif.follow_up_all(ctx.tcp(), follow, xaddrs, max(ctx.timeout, 1.0))
        return merge([result, DiscoveryResult(tuple(follow.observations), follow.statuses)])


def read_answer(
    ours: set[str],
    xaddrs: dict[str, list[str]],
    seen: set[tuple[str, tuple[tuple[str, str], ...]]],
    datagram: Datagram,
    findings: Findings,
) -> bool:
    """One datagram -> wsd.probematch; its XAddrs are noted for the follow-up calls.

    A device answers each of our Probes it matches; an answer whose ProbeMatch says what an
    earlier one from the same host said (only the header differs) is not kept twice."""
    document = parse_xml(datagram.data)
    if document.root.find("Probe") is not None and document.root.find("ProbeMatch") is None:
        return False  # a Probe (someone's, or a device relaying): not an answer
    relates = document.root.find("RelatesTo")
    if relates is not None and _bare(relates.text) not in ours:
        return False
    matches = parse_probematch(datagram.data)
    if not any(m.kind == "ProbeMatch" for m in matches):
        raise DecodeError("no ProbeMatch in the answer")
    content = (datagram.source, tuple(sorted(probematch_table(datagram.data).items())))
    if content not in seen:
        seen.add(content)
        findings.add(datagram.source, PORT, "wsd.probematch", decode_text(datagram.data))
    urls = xaddrs.setdefault(datagram.source, [])
    for match in matches:
        urls.extend(x for x in match.xaddrs if x not in urls)
    return True


def _scopes_of(value: str) -> list[tuple[str, str]]:
    """wsd.probematch -> onvif.scopes (the Scopes text as sent)."""
    scopes = " ".join(m.scopes_text for m in parse_probematch(value) if m.scopes_text)
    return [("onvif.scopes", scopes)] if scopes else []


#: The observation fields this protocol emits (gathered by scanner.protocols.registry).
FIELDS = (
    FieldSpec("wsd.probematch", table=probematch_table, derive=_scopes_of),
)


def hear(heard: Heard, memory: Memory, datagram: Datagram) -> bool:
    """A datagram heard on the WS-Discovery port: Hello and ProbeMatch -> ``wsd.probematch``;
    Probe and Bye carry no identity."""
    root = parse_xml(datagram.data).root
    if root.find("ProbeMatch") is not None:
        findings = heard.findings_for("wsd")
        return read_answer(AnyMessage(), memory.xaddrs, memory.seen, datagram, findings)
    if root.find("Hello") is None:
        if root.find("Bye") is not None:
            heard.tally("wsd").note("Bye")
        return False  # a Probe, a Resolve or a Bye: no identity in it
    hellos = parse_probematch(datagram.data)  # a Hello without its fields is unreadable
    remember(memory.xaddrs, datagram.source, [x for h in hellos for x in h.xaddrs])
    heard.add("wsd", datagram.source, PORT, "wsd.probematch", decode_text(datagram.data))
    return True


def announced(memory: Memory, host: str) -> list[tuple[str, int, str] | None]:
    return [onvif.endpoint(url) for url in memory.xaddrs.get(host, [])]


LISTENING = Listening("wsd", PORT, (GROUP,), hear, announced, "queries, Byes")


PROTOCOL = ProtocolSpec(
    "wsd", "lan", FIELDS, discovery=WsdProbe(), listening=LISTENING
)
