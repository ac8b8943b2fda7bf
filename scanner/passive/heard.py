"""What passive listening or a packet capture heard, kept per protocol and per host.

Every protocol's observations go to its own :class:`~scanner.protocols.lan.Findings` (the
same bounded, deduplicating collector the discovery probes use), so the discovery modules'
answer readers can write into it unchanged. A :class:`Tally` per protocol counts what was
read, what was not a device's message (someone's query, a Bye) and what was unreadable; it
becomes the protocol's global status ("ok: 12 messages from 3 hosts").

DHCP clients are known by MAC before they have an address: their facts wait in
``dhcp_clients`` until an address is known for that MAC (the request's own option 50 or
ciaddr, a server's answer, an ARP packet, a SADP/DHIP reply carrying the MAC).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from scanner import limits
from scanner.errors import bug_detail
from scanner.model import Outcome, ProbeStatus
from scanner.protocols.host import Recorder
from scanner.protocols.lan import Findings
from scanner.protocols.registry import FRAMES, LISTENING

HOSTS_MAX = 4096
"""Most hosts kept: a flood of spoofed sources costs a known amount of memory."""
DHCP_CLIENTS_MAX = 4096
IGNORED = {
    **{listening.name: listening.ignored for listening in LISTENING},
    **{reading.name: reading.ignored for reading in FRAMES},
}
"""What a protocol's ignored messages were: none of them is a device speaking of itself."""


@dataclass
class Tally:
    """How one protocol went: messages read, ignored (not a device's), unreadable."""

    messages: int = 0
    ignored: int = 0
    errors: int = 0
    notes: dict[str, int] = field(default_factory=dict)
    """Counted extras shown in the status ("2 Bye", "3 TLS 1.3 (certificate encrypted)")."""

    def note(self, what: str) -> None:
        self.notes[what] = self.notes.get(what, 0) + 1


@dataclass
class DhcpClient:
    """What one DHCP client (by MAC) said about itself."""

    mac: str
    hostname: str | None = None
    vendor_class: str | None = None
    ip: str | None = None
    """The address it holds (ciaddr, or the source of its request)."""
    requested: str | None = None
    """Option 50: the address it asks for (used when nothing better is known)."""


@dataclass
class Heard:
    """Everything heard so far; see the module docstring."""

    findings: dict[str, Findings] = field(default_factory=dict)
    tallies: dict[str, Tally] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    """protocol -> why it was not listened to ("needs root")."""
    problems: dict[str, str] = field(default_factory=dict)
    """protocol -> why listening failed ("port 5353 in use")."""
    ip_of_mac: dict[str, str] = field(default_factory=dict)
    dhcp_clients: dict[str, DhcpClient] = field(default_factory=dict)
    open_ports: dict[str, set[int]] = field(default_factory=dict)
    """host -> TCP ports that answered a SYN with SYN-ACK (captures only)."""
    hosts: set[str] = field(default_factory=set)
    dropped_hosts: int = 0
    not_addresses: int = 0
    """Messages dropped because their host was no IP address (a bug upstream, never kept)."""
    text: int = 0
    """Characters of observation values kept so far (limits.PASSIVE_TEXT_MAX)."""
    over_budget: int = 0
    """Observations dropped because the session's text budget was spent."""
    frame_notes: dict[str, int] = field(default_factory=dict)
    """Frames dropped before any protocol ("overlapping IPv4 fragments refused"), counted."""
    last_fault: str = ""
    """The last bug met on a frame that no protocol and host could be named for."""

    def tally(self, protocol: str) -> Tally:
        return self.tallies.setdefault(protocol, Tally())

    def findings_for(self, protocol: str) -> Findings:
        return self.findings.setdefault(protocol, Findings(protocol))

    def accept(self, host: str) -> bool:
        """True if `host` is known or there is still room for one more host."""
        if host in self.hosts:
            return True
        try:
            ipaddress.ip_address(host)  # whatever a reader hands on, only an address is a host
        except ValueError:
            self.not_addresses += 1
            return False
        if len(self.hosts) >= HOSTS_MAX:
            self.dropped_hosts += 1
            return False
        self.hosts.add(host)
        return True

    def add(self, protocol: str, host: str, port: int | None, field_name: str, value: str) -> None:
        """One observation of `protocol` about `host` (if the host cap and the session's text
        budget allow it)."""
        if not self.accept(host):
            return
        size = min(len(value), limits.VALUE_MAX)
        if self.text + size > limits.PASSIVE_TEXT_MAX:
            self.over_budget += 1
            return
        findings = self.findings_for(protocol)
        before = len(findings.observations)
        findings.add(host, port, field_name, value)
        if len(findings.observations) > before:  # a repeat costs nothing
            self.text += size

    def store(self, rec: Recorder) -> None:
        """One message a probe's recorder read from a capture: its observations, counted."""
        for item in rec.items:
            self.add(rec.probe, item.host, item.port, item.field, item.value)
        self.tally(rec.probe).messages += 1
        self.ok(rec.probe, rec.host)

    def ok(self, protocol: str, host: str, detail: str = "") -> None:
        if self.accept(host):
            self.findings_for(protocol).status(host, Outcome.OK, detail)

    def bad(self, protocol: str, host: str, detail: str) -> None:
        self.tally(protocol).errors += 1
        if self.accept(host):
            self.findings_for(protocol).status(host, Outcome.ERROR, detail[:160])

    def fault(self, exc: Exception, protocol: str | None = None, host: str | None = None) -> None:
        """A bug met while reading one frame or message (zgrab2's isolation, issue 12): the
        host's status for `protocol` says ``error: <Exception>: ...`` when both are known,
        otherwise the frame is counted; listening or reading goes on either way."""
        detail = bug_detail(exc)
        if protocol is not None and host is not None:
            self.bad(protocol, host, detail)
            return
        self.frame_note("frames not read (a bug)")
        self.last_fault = detail

    def frame_note(self, what: str, count: int = 1) -> None:
        self.frame_notes[what] = self.frame_notes.get(what, 0) + count

    def frames_label(self) -> str:
        """How frame-level reading went, '' when nothing was dropped."""
        parts = [f"{count} {what}" for what, count in self.frame_notes.items()]
        if self.last_fault:
            parts.append(f"last: {self.last_fault}")
        return ("error: " if self.last_fault else "") + ", ".join(parts)

    def open_port(self, host: str, port: int) -> None:
        if self.accept(host):
            self.open_ports.setdefault(host, set()).add(port)

    def pair(self, protocol: str, ip: str, mac: str | None) -> None:
        """An (address, MAC) pair seen on the wire: a ``mac`` observation, and the map."""
        if not mac or mac in ("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff") or ip == "0.0.0.0":
            return
        if self.accept(ip):
            self.map_mac(mac, ip)
            self.add(protocol, ip, None, "mac", mac)

    def map_mac(self, mac: str, ip: str) -> None:
        """Remember the first address seen for `mac` (bounded like the hosts)."""
        if mac in self.ip_of_mac or len(self.ip_of_mac) < HOSTS_MAX:
            self.ip_of_mac.setdefault(mac, ip)

    def dhcp_client(self, mac: str) -> DhcpClient | None:
        if mac not in self.dhcp_clients and len(self.dhcp_clients) >= DHCP_CLIENTS_MAX:
            return None
        return self.dhcp_clients.setdefault(mac, DhcpClient(mac))

    def settle_dhcp(self) -> None:
        """Give each DHCP client's facts to its address, now that every pair is known."""
        unplaced = 0
        for client in self.dhcp_clients.values():
            ip = client.ip or self.ip_of_mac.get(client.mac) or client.requested
            if ip is None:
                unplaced += 1
                continue
            self.add("dhcp", ip, None, "mac", client.mac)
            self.add("dhcp", ip, None, "dhcp.hostname", client.hostname or "")
            self.add("dhcp", ip, None, "dhcp.vendor_class", client.vendor_class or "")
            self.ok("dhcp", ip)
        if unplaced:
            noun = "client" if unplaced == 1 else "clients"
            self.tally("dhcp").notes[f"{noun} without an address"] = unplaced

    def statuses(self, protocols: tuple[str, ...]) -> dict[str, ProbeStatus]:
        """The global status of each protocol, in the order given."""
        return {name: self._status(name) for name in protocols}

    def _status(self, protocol: str) -> ProbeStatus:
        if protocol in self.skipped:
            return ProbeStatus(protocol, Outcome.SKIPPED, self.skipped[protocol])
        if protocol in self.problems:
            return ProbeStatus(protocol, Outcome.ERROR, self.problems[protocol])
        tally = self.tallies.get(protocol, Tally())
        findings = self.findings.get(protocol)
        statuses = findings.statuses.values() if findings else ()
        hosts = sum(1 for status in statuses if status.outcome is Outcome.OK)
        parts = []
        if tally.messages:
            parts.append(f"{_count(tally.messages, 'message')} from {_count(hosts, 'host')}")
        if tally.ignored:
            parts.append(f"{tally.ignored} ignored ({IGNORED.get(protocol, 'queries')})")
        if tally.errors:
            parts.append(f"{tally.errors} unreadable")
        parts += [f"{count} {what}" for what, count in tally.notes.items()]
        detail = ", ".join(parts) or "nothing heard"
        if hosts:
            return ProbeStatus(protocol, Outcome.OK, detail)
        return ProbeStatus(protocol, Outcome.ERROR if tally.errors else Outcome.NO_ANSWER, detail)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"
