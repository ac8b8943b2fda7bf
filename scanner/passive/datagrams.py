"""One UDP datagram heard on a discovery port -> observations, through the protocols' hooks.

The protocol is the one whose port the datagram came *from* (a device answers from its
service port) or, failing that, the one it went *to* (announcements and queries go to the
service port). Each discovery protocol reads what it hears with its own hook
(``LISTENING.hear`` in its module of scanner.protocols, gathered by the registry), built on
the functions its probe uses for its own answers, so a datagram means the same thing whether
camscan asked or only listened. This module names no protocol: it iterates the registry.
"""

from __future__ import annotations

from scanner import limits
from scanner.errors import DecodeError
from scanner.passive.heard import Heard
from scanner.protocols.listening import Hear, Memory
from scanner.protocols.registry import LISTENING
from scanner.protocols.udp import Datagram

#: port -> protocol, for every discovery protocol camscan understands.
PORTS: dict[int, str] = {listening.port: listening.name for listening in LISTENING}
#: protocol -> multicast groups its announcements and answers are sent to.
GROUPS: dict[str, tuple[str, ...]] = {listening.name: listening.groups for listening in LISTENING}
#: protocol -> the hook that reads one datagram of it.
READERS: dict[str, Hear] = {listening.name: listening.hear for listening in LISTENING}
#: protocols whose announcements name endpoints worth following (see Listening.announced).
ANNOUNCING: frozenset[str] = frozenset(
    listening.name for listening in LISTENING if listening.announced is not None
)
MESSAGES_PER_HOST = 256
"""Messages read per host and protocol; more (a flood) are counted, not read."""


def protocol_of(source_port: int, destination_port: int) -> str | None:
    """The discovery protocol of a datagram, by its ports (see the module docstring)."""
    return PORTS.get(source_port) or PORTS.get(destination_port)


class DatagramReader:
    """Reads datagrams into a :class:`Heard`; never raises for what a datagram holds: a bug
    met on one becomes its host's ``error: <Exception>: ...`` status for the protocol."""

    def __init__(self, heard: Heard) -> None:
        self.heard = heard
        self._state = Memory()

    def announced_ports(self, host: str) -> set[int]:
        """TCP ports `host`'s SSDP LOCATIONs and WS-Discovery XAddrs name (on itself)."""
        found = [
            target
            for listening in LISTENING
            if listening.announced is not None
            for target in listening.announced(self._state, host)
        ]
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
