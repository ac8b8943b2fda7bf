"""Hikvision SADP replies: the ``<ProbeMatch>`` XML datagram answered on UDP 37020.

Wire format (docs/protocols.md §SADP, capture of a DS-2CD2385G1-I from Haicam/Haicam
golang/discovery.go): one UTF-8 XML document per datagram, no framing; the root is
``<ProbeMatch>`` and every fact is a flat child element. ``DeviceType`` is a numeric type code
(141945) and ``DeviceDescription`` carries the model; booleans are not clean (``flase``).
Our own looped-back ``<Probe>`` has no ProbeMatch root and is refused with DecodeError.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.parse.kv import Fields, parse_port
from scanner.parse.xmlsafe import flat_root


@dataclass(frozen=True, slots=True)
class SadpReply(Fields):
    """One SADP ProbeMatch: every child element by tag name ('DeviceSN'), values as sent; its
    table is what `sadp.reply` fingerprints match on."""

    complete: bool = True
    """False if the datagram broke off; `fields` then holds what came before the break."""

    @property
    def model(self) -> str | None:
        """DeviceDescription: the model string (DS-2CD2385G1-I)."""
        return self.get("DeviceDescription")

    @property
    def serial(self) -> str | None:
        return self.get("DeviceSN")

    @property
    def firmware(self) -> str | None:
        return self.get("SoftwareVersion")

    @property
    def mac(self) -> str | None:
        """The MAC, normalised to aa:bb:cc:dd:ee:ff (SADP sends 58-50-ed-1f-e3-85)."""
        return self.mac_sent("MAC")

    @property
    def ipv4(self) -> str | None:
        return self.get("IPv4Address")

    @property
    def uuid(self) -> str | None:
        """The Uuid echoed from the probe: lets a prober match answers to its own probe."""
        return self.get("Uuid")

    @property
    def activated(self) -> bool | None:
        """False for a device in factory state (no admin password yet); None if not said."""
        value = (self.get("Activated") or "").strip().lower()
        return {"true": True, "false": False}.get(value)

    @property
    def http_port(self) -> int | None:
        return parse_port(self.get("HttpPort"))

    @property
    def command_port(self) -> int | None:
        return parse_port(self.get("CommandPort"))


def parse_sadp(data: bytes | str) -> SadpReply:
    """Parse one SADP answer; DecodeError if it is not a ProbeMatch document."""
    document, fields = flat_root(data, "ProbeMatch", "SADP ProbeMatch")
    return SadpReply(tuple(fields.items()), document.complete)
