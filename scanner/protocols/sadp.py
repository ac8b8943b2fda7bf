"""Hikvision SADP over UDP 37020: an XML ``<Probe>`` inquiry, ``<ProbeMatch>`` answers.

Wire format: docs/protocols.md §SADP (UniversalScanner Hikvision.cs, hikvision-tooling
scanner.go, hiktools). The inquiry goes to 239.255.255.250:37020 (and broadcast, and each
directed target), once as ``inquiry`` and once as ``inquiry_v32`` with the same Uuid.
Devices answer *to the group* on port 37020, so the socket binds 37020 and joins the group
on the chosen interface; without multicast (--no-multicast) it joins nothing, since a join
is an IGMP report (issue 12), and hears only devices that answer the sender: the status
says so.
An answer counts only if it echoes our Uuid: another prober's answers on the group are not
ours. An answer means Hikvision-made firmware, whatever the label (docs/protocols.md §SADP).
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import TYPE_CHECKING

from scanner.errors import DecodeError
from scanner.model import Outcome, ProbeStatus
from scanner.parse.kv import decode_text
from scanner.parse.sadp import parse_sadp
from scanner.protocols.field import FieldSpec
from scanner.protocols.lan import GLOBAL, DiscoveryContext, DiscoveryResult, Findings
from scanner.protocols.listening import Listening, Memory
from scanner.protocols.spec import ProtocolSpec
from scanner.protocols.udp import Datagram, UdpPlan, exchange, judge

if TYPE_CHECKING:
    from scanner.passive.heard import Heard

PORT = 37020
GROUP = "239.255.255.250"


def inquiry(token: str, kind: str = "inquiry") -> bytes:
    """The inquiry datagram, exactly as the three implementations build it."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f"<Probe><Uuid>{token}</Uuid><Types>{kind}</Types></Probe>"
    ).encode()


def plan(token: str) -> UdpPlan:
    return UdpPlan(
        PORT,
        (inquiry(token), inquiry(token, "inquiry_v32")),
        groups=(GROUP,),
        broadcast=True,
        bind_port=PORT,
        listen_groups=(GROUP,),
    )


def read_answer(token: str, datagram: Datagram, findings: Findings) -> bool:
    """One datagram -> sadp.reply and mac observations; False if it is not our answer."""
    if b"<ProbeMatch" not in datagram.data[:512]:
        return False  # someone's inquiry on the group
    reply = parse_sadp(datagram.data)
    if (reply.uuid or "").strip().lower() != token.lower():
        return False
    if not reply.complete:
        raise DecodeError("ProbeMatch cut short")
    findings.add(datagram.source, PORT, "sadp.reply", decode_text(datagram.data))
    findings.add(datagram.source, None, "mac", reply.mac)
    return True


class SadpProbe:
    name = "sadp"

    async def discover(self, ctx: DiscoveryContext) -> DiscoveryResult:
        token = str(uuid.uuid4()).upper()
        heard = await exchange(ctx, plan(token))
        result = judge(self.name, heard, lambda d, f: read_answer(token, d, f))
        overall = result.statuses.get(GLOBAL)
        if ctx.multicast or overall is None or overall.outcome is not Outcome.NO_ANSWER:
            return result
        why = f"{overall.detail}; answers sent to {GROUP} go unheard without multicast"
        statuses = {**result.statuses, GLOBAL: ProbeStatus(self.name, Outcome.NO_ANSWER, why)}
        return dataclasses.replace(result, statuses=statuses)


#: The observation fields this protocol emits (gathered by scanner.protocols.registry).
FIELDS = (
    FieldSpec(
        "sadp.reply", table=lambda value: parse_sadp(value).table(),
        firmware_keys=("SoftwareVersion",),
    ),
)


def hear(heard: Heard, memory: Memory, datagram: Datagram) -> bool:
    """ProbeMatch answers, which devices send *to the group*, whoever asked."""
    if b"<ProbeMatch" not in datagram.data[:512]:
        return False  # an inquiry
    token = (parse_sadp(datagram.data).uuid or "").strip()
    return read_answer(token, datagram, heard.findings_for("sadp"))


LISTENING = Listening("sadp", PORT, (GROUP,), hear)


PROTOCOL = ProtocolSpec("sadp", "lan", FIELDS, discovery=SadpProbe(), listening=LISTENING)
