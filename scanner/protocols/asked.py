"""Discovery probes that are one UDP exchange read by one reader (DHIP, UBNT, XM, TDP): the
probe, its listening hook (the same reader over anyone's answers), and the reader of answers
that are one JSON document naming the device's MAC (XM, TDP)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from scanner.protocols.lan import DiscoveryContext, DiscoveryResult, Findings
from scanner.protocols.listening import Hear, Memory
from scanner.protocols.udp import Datagram, Reader, UdpPlan, exchange, judge, record_json

if TYPE_CHECKING:
    from scanner.passive.heard import Heard

JsonAnswer = Callable[[bytes], "tuple[str, dict[str, object]] | None"]
"""Datagram -> (its JSON text, the object naming the MAC), None for another prober's request;
DecodeError for anything else that is not an answer."""


class ExchangeProbe:
    """Asks `plan` once and reads every datagram heard with `read` (see udp.judge)."""

    def __init__(self, name: str, plan: UdpPlan, read: Reader) -> None:
        self.name, self.plan, self.read = name, plan, read

    async def discover(self, ctx: DiscoveryContext) -> DiscoveryResult:
        return judge(self.name, await exchange(ctx, self.plan), self.read)


def never(data: bytes) -> bool:
    return False


def heard_by(name: str, read: Reader, is_query: Callable[[bytes], bool] = never) -> Hear:
    """The listening hook of probe `name`: a datagram heard is read with `read`, as the probe
    reads its own answers, unless `is_query` says it is someone's query (then False)."""

    def hear(heard: Heard, memory: Memory, datagram: Datagram) -> bool:
        if is_query(datagram.data):
            return False
        return read(datagram, heard.findings_for(name))

    return hear


def json_reader(port: int, field: str, answer: JsonAnswer, mac_key: str) -> Reader:
    """A Reader recording an answer's JSON text as `field` (on `port`) and the MAC its object
    names under `mac_key`."""

    def read(datagram: Datagram, findings: Findings) -> bool:
        found = answer(datagram.data)
        if found is None:
            return False
        text, section = found
        return record_json(findings, datagram.source, (port, field, text), section, mac_key)

    return read
