"""One UDP datagram heard on a discovery port -> observations, through the probes' readers.

The protocol is the one whose port the datagram came *from* (a device answers from its
service port) or, failing that, the one it went *to* (announcements and queries go to the
service port). What a device sends unasked or to someone else's query is read with the same
functions the discovery probes use for their own answers (scanner.protocols.*.read_answer),
so a datagram means the same thing whether camscan asked or only listened:

- ``ssdp``: NOTIFY (alive, byebye, update) and M-SEARCH answers -> ``ssdp.response``;
  M-SEARCH queries are someone else's, not a device's.
- ``wsd``: Hello and ProbeMatch -> ``wsd.probematch``; Probe and Bye carry no identity.
- ``mdns``: responses and announcements (scanner.passive.mdns).
- ``sadp``: ProbeMatch answers, which devices send *to the group*, whoever asked.
- ``dhip``, ``ubnt``, ``xm``, ``tdp``: answers to anyone's search (Ubiquiti and Xiongmai
  devices answer by broadcast, so every host on the link hears them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from scanner import limits
from scanner.errors import DecodeError
from scanner.parse.kv import decode_text
from scanner.parse.sadp import parse_sadp
from scanner.parse.ssdp import parse_ssdp
from scanner.parse.wsd import parse_probematch
from scanner.parse.xmlsafe import parse_xml
from scanner.passive.heard import Heard
from scanner.passive.mdns import read_mdns
from scanner.protocols import dhip, onvif, sadp, ssdp, tdp, ubnt, wsd, xm
from scanner.protocols.udp import Datagram

#: port -> protocol, for every discovery protocol camscan understands.
PORTS: dict[int, str] = {
    ssdp.PORT: "ssdp",
    wsd.PORT: "wsd",
    5353: "mdns",
    sadp.PORT: "sadp",
    dhip.PORT: "dhip",
    ubnt.PORT: "ubnt",
    xm.PORT: "xm",
    tdp.PORT: "tdp",
}
#: protocol -> multicast groups its announcements and answers are sent to.
GROUPS: dict[str, tuple[str, ...]] = {
    "ssdp": (ssdp.GROUP,),
    "wsd": (wsd.GROUP,),
    "mdns": ("224.0.0.251",),
    "sadp": (sadp.GROUP,),
    "dhip": (dhip.GROUP,),
    "ubnt": (ubnt.GROUP,),
    "xm": (),
    "tdp": (),
}
NOTIFY_PER_HOST = 32
"""Distinct NOTIFY messages kept per host (a device sends one per device and service type)."""
MESSAGES_PER_HOST = 256
"""Messages read per host and protocol; more (a flood) are counted, not read."""


class AnyMessage(set[str]):
    """Stands for every WS-Discovery MessageID: heard passively, each ProbeMatch counts,
    whoever sent the Probe it answers."""

    def __contains__(self, item: object) -> bool:
        return True


@dataclass
class _State:
    """What the readers remember between datagrams (bounds and repeats)."""

    locations: dict[str, list[str]] = field(default_factory=dict)
    answers: dict[str, int] = field(default_factory=dict)
    notifies: dict[str, set[int]] = field(default_factory=dict)
    """host -> hashes of the NOTIFY texts kept."""
    read: dict[tuple[str, str], int] = field(default_factory=dict)
    """(protocol, host) -> messages read."""
    wsd_xaddrs: dict[str, list[str]] = field(default_factory=dict)
    wsd_seen: set[tuple[str, tuple[tuple[str, str], ...]]] = field(default_factory=set)


Reader = Callable[[Heard, _State, Datagram], bool]


def protocol_of(source_port: int, destination_port: int) -> str | None:
    """The discovery protocol of a datagram, by its ports (see the module docstring)."""
    return PORTS.get(source_port) or PORTS.get(destination_port)


def _ssdp(heard: Heard, state: _State, datagram: Datagram) -> bool:
    message = parse_ssdp(datagram.data)
    if message.is_response:
        return ssdp.read_answer(
            state.locations, state.answers, datagram, heard.findings_for("ssdp")
        )
    if not message.start_line.upper().startswith("NOTIFY"):
        return False  # an M-SEARCH: someone looking, not a device
    kept = state.notifies.setdefault(datagram.source, set())
    text = decode_text(datagram.data)
    if hash(text) not in kept and len(kept) < NOTIFY_PER_HOST:
        kept.add(hash(text))
        heard.add("ssdp", datagram.source, ssdp.PORT, "ssdp.response", text)
        _remember(state.locations, datagram.source, [message.location or ""])
    return True


def _remember(table: dict[str, list[str]], host: str, urls: list[str]) -> None:
    kept = table.setdefault(host, [])
    kept.extend(u for u in urls if u and u not in kept and len(kept) < NOTIFY_PER_HOST)


def _wsd(heard: Heard, state: _State, datagram: Datagram) -> bool:
    root = parse_xml(datagram.data).root
    if root.find("ProbeMatch") is not None:
        findings = heard.findings_for("wsd")
        return wsd.read_answer(AnyMessage(), state.wsd_xaddrs, state.wsd_seen, datagram, findings)
    if root.find("Hello") is None:
        if root.find("Bye") is not None:
            heard.tally("wsd").note("Bye")
        return False  # a Probe, a Resolve or a Bye: no identity in it
    hellos = parse_probematch(datagram.data)  # a Hello without its fields is unreadable
    _remember(state.wsd_xaddrs, datagram.source, [x for h in hellos for x in h.xaddrs])
    heard.add("wsd", datagram.source, wsd.PORT, "wsd.probematch", decode_text(datagram.data))
    return True


def _sadp(heard: Heard, state: _State, datagram: Datagram) -> bool:
    if b"<ProbeMatch" not in datagram.data[:512]:
        return False  # an inquiry
    token = (parse_sadp(datagram.data).uuid or "").strip()
    return sadp.read_answer(token, datagram, heard.findings_for("sadp"))


def _dhip(heard: Heard, state: _State, datagram: Datagram) -> bool:
    if b'"DHDiscover.search"' in datagram.data[:512]:
        return False  # someone's search (the DHIP probe's own is dropped as an echo)
    return dhip.read_answer(datagram, heard.findings_for("dhip"))


def _ubnt(heard: Heard, state: _State, datagram: Datagram) -> bool:
    data = datagram.data
    if len(data) >= 4 and data[2:4] == b"\x00\x00":
        return False  # a request (01 00 00 00, 02 08 00 00): no TLVs
    return ubnt.read_answer(datagram, heard.findings_for("ubnt"))


def _xm(heard: Heard, state: _State, datagram: Datagram) -> bool:
    return xm.read_answer(datagram, heard.findings_for("xm"))


def _tdp(heard: Heard, state: _State, datagram: Datagram) -> bool:
    body = datagram.data[16:]
    if b'"params"' in body[:256] and b'"result"' not in body:
        return False  # someone's discovery request
    return tdp.read_answer(datagram, heard.findings_for("tdp"))


def _mdns(heard: Heard, state: _State, datagram: Datagram) -> bool:
    return read_mdns(heard, datagram)


READERS: dict[str, Reader] = {
    "ssdp": _ssdp,
    "wsd": _wsd,
    "mdns": _mdns,
    "sadp": _sadp,
    "dhip": _dhip,
    "ubnt": _ubnt,
    "xm": _xm,
    "tdp": _tdp,
}


class DatagramReader:
    """Reads datagrams into a :class:`Heard`; never raises for what a datagram holds: a bug
    met on one becomes its host's ``error: <Exception>: ...`` status for the protocol."""

    def __init__(self, heard: Heard) -> None:
        self.heard = heard
        self._state = _State()

    def announced_ports(self, host: str) -> set[int]:
        """TCP ports `host`'s SSDP LOCATIONs and WS-Discovery XAddrs name (on itself)."""
        found = [ssdp.location_target(u) for u in self._state.locations.get(host, [])]
        found += [onvif.endpoint(u) for u in self._state.wsd_xaddrs.get(host, [])]
        return {target[1] for target in found if target is not None and target[0] == host}

    def read(self, protocol: str, source: str, port: int, data: bytes) -> None:
        """One datagram of `protocol` from (source, port), already cut to DATAGRAM_MAX+1."""
        tally = self.heard.tally(protocol)
        if not self.heard.accept(source):
            return
        count = self._state.read[protocol, source] = self._state.read.get((protocol, source), 0) + 1
        if count > MESSAGES_PER_HOST:
            tally.note("messages beyond the per-host limit, not read")
            return
        truncated = len(data) > limits.DATAGRAM_MAX
        datagram = Datagram(source, port, data[: limits.DATAGRAM_MAX], truncated)
        try:
            if truncated:
                raise DecodeError(f"datagram larger than {limits.DATAGRAM_MAX} bytes")
            if not READERS[protocol](self.heard, self._state, datagram):
                tally.ignored += 1
                return
        except DecodeError as exc:
            self.heard.bad(protocol, source, f"unreadable message: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - a bug, isolated to this host (zgrab2's rule)
            self.heard.fault(exc, protocol, source)
            return
        tally.messages += 1
        self.heard.ok(protocol, source)
