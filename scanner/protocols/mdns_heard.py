"""mDNS responses and announcements heard passively, decoded by python-zeroconf.

camscan parses no DNS itself: ``zeroconf.DNSIncoming`` reads the message. A response (an
answer to anyone's query, or an announcement a device multicasts when it starts or changes)
names service instances with PTR, SRV and TXT records and the host's addresses with A
records. Each instance becomes the same two observations the active mDNS probe makes:
``mdns.instance`` (the full instance name, service type included; port from SRV) and
``mdns.txt`` (``key=value`` pairs, rendered by scanner.protocols.mdns.txt_text).

Whose facts are they? The sender's, unless the message's A records for the instance's host
name list other addresses only (a sleep proxy answering for a sleeping host): then those.
Queries (a host asking) identify nobody and are not read further.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

# zeroconf re-exports its DNS classes at the top level without listing them in __all__.
from zeroconf import (  # type: ignore[attr-defined]
    BadTypeInNameException,
    DNSAddress,
    DNSIncoming,
    DNSPointer,
    DNSService,
    DNSText,
    ServiceInfo,
)

from scanner import limits
from scanner.errors import DecodeError
from scanner.parse.text import cap_text
from scanner.protocols.listening import Listening, Memory
from scanner.protocols.mdns import FIELDS, PORT, MdnsProbe, txt_text
from scanner.protocols.spec import ProtocolSpec
from scanner.protocols.udp import Datagram

if TYPE_CHECKING:
    from scanner.passive.heard import Heard

RECORDS_MAX = 256
"""Records looked at in one message."""
INSTANCES_MAX = 64
_SERVICE_TYPE = re.compile(r"(_[^.]{1,63}\._(?:tcp|udp)\.local\.)$", re.IGNORECASE)


@dataclass
class _Instance:
    name: str
    type_: str
    server: str | None = None
    port: int | None = None
    text: bytes | None = None


def _instance_type(name: str) -> str | None:
    """The service type an instance name ends with; None for a type or host name."""
    match = _SERVICE_TYPE.search(name)
    if match is None or match.start() == 0:
        return None  # '_CGI._tcp.local.' itself, or '_services._dns-sd._udp.local.'
    return match.group(1)


def _txt(instance: _Instance) -> str:
    if not instance.text:
        return ""
    try:
        info = ServiceInfo(instance.type_, instance.name, properties=instance.text)
        return txt_text(info.properties)
    except (BadTypeInNameException, ValueError):
        return ""


def _collect(message: DNSIncoming) -> tuple[dict[str, _Instance], dict[str, list[str]]]:
    """Instances (by lower-case name) and IPv4 addresses (by lower-case host name)."""
    instances: dict[str, _Instance] = {}
    addresses: dict[str, list[str]] = {}

    def instance(name: str) -> _Instance | None:
        type_ = _instance_type(name)
        if type_ is None or (name.lower() not in instances and len(instances) >= INSTANCES_MAX):
            return None
        return instances.setdefault(name.lower(), _Instance(name, type_))

    for record in message.answers()[:RECORDS_MAX]:
        if isinstance(record, DNSPointer):
            instance(record.alias)
        elif isinstance(record, DNSService) and (found := instance(record.name)):
            found.server, found.port = record.server, record.port
        elif isinstance(record, DNSText) and (found := instance(record.name)):
            found.text = record.text
        elif isinstance(record, DNSAddress) and len(record.address) == 4:
            address = str(ipaddress.IPv4Address(record.address))
            addresses.setdefault(record.name.lower(), []).append(address)
    return instances, addresses


def read_mdns(heard: Heard, datagram: Datagram) -> bool:
    """One mDNS datagram -> observations; False for a query; DecodeError if not DNS."""
    message = DNSIncoming(datagram.data)
    if not message.valid:
        raise DecodeError("not a DNS message")
    if not message.is_response():
        return False
    instances, addresses = _collect(message)
    for found in instances.values():
        named = addresses.get((found.server or "").lower(), [])
        hosts = named if named and datagram.source not in named else [datagram.source]
        name = cap_text(found.name, limits.HEADER_VALUE_MAX)
        for host in dict.fromkeys(hosts):
            heard.add("mdns", host, found.port, "mdns.instance", name)
            heard.add("mdns", host, found.port, "mdns.txt", _txt(found))
            heard.ok("mdns", host)
    return True


def hear(heard: Heard, memory: Memory, datagram: Datagram) -> bool:
    return read_mdns(heard, datagram)


LISTENING = Listening("mdns", PORT, ("224.0.0.251",), hear)


#: mDNS as a whole: asked through python-zeroconf (scanner.protocols.mdns), heard here.
PROTOCOL = ProtocolSpec("mdns", "lan", FIELDS, discovery=MdnsProbe(), listening=LISTENING)
