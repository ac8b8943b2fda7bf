"""Every protocol camscan speaks or reads, one line each, and the tables derived from them.

Each protocol module declares itself (``PROTOCOL``, a scanner.protocols.spec.ProtocolSpec:
name, kind, fields, ports, hooks); ``PROTOCOLS`` lists them, and every table the rooms above
use is read from that list: the discovery probes, the service probes and the default port
map, the passive hooks, the credentialed steps, the observation fields. Adding a protocol is
its module and parser, one line here, a fingerprint file and tests.

The default sweep runs each service probe on the ports its protocol names, and takes note of
``OPEN_ONLY_PORTS`` open (private protocols of Reolink 9000, Xiongmai 34567 and Dahua 37777:
the open port says it). The ``services`` override (port -> probe names) replaces the map for
the ports it names, so the simulated LAN can serve HTTP on 10080 or RTSP on 10554; the name
``tcp`` there means "open port only, no service probe".
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from scanner.errors import DecodeError, UsageError
from scanner.protocols import (
    arp,
    banner,
    dhcp,
    dhip,
    http,
    isapi,
    magicbox,
    mdns_heard,
    onvif,
    rtsp,
    sadp,
    snmp,
    ssdp,
    tdp,
    tls,
    ubnt,
    wsd,
    xm,
)
from scanner.protocols.field import FieldSpec
from scanner.protocols.frame import FrameReading
from scanner.protocols.host import ServiceProbe
from scanner.protocols.http import HttpProbe
from scanner.protocols.lan import DiscoveryProbe
from scanner.protocols.listening import Listening
from scanner.protocols.login import Step
from scanner.protocols.spec import ProtocolSpec
from scanner.protocols.stream import Document, StreamReading

#: Every protocol, once. The order is the order discovery runs, service probes are listed,
#: a captured stream is offered to the stream hooks and the credentialed steps are tried.
PROTOCOLS: tuple[ProtocolSpec, ...] = (
    wsd.PROTOCOL,  # ONVIF WS-Discovery, UDP 3702 (+ ONVIF calls to the sender's own XAddr)
    ssdp.PROTOCOL,  # SSDP, UDP 1900 (+ UPnP description at the sender's LOCATION)
    mdns_heard.PROTOCOL,  # mDNS / DNS-SD, UDP 5353
    sadp.PROTOCOL,  # Hikvision SADP, UDP 37020
    dhip.PROTOCOL,  # Dahua DHIP, UDP 37810
    ubnt.PROTOCOL,  # Ubiquiti discovery, UDP 10001
    xm.PROTOCOL,  # Xiongmai / XMEye, UDP 34569
    tdp.PROTOCOL,  # TP-Link TDP, UDP 20002 (Tapo cameras, doorbells, hubs)
    arp.PROTOCOL,  # ARP sweep (root) or the kernel's neighbour table
    http.PROTOCOL,  # http and https on the web ports
    rtsp.PROTOCOL,  # RTSP OPTIONS + DESCRIBE on 554, 8554
    tls.PROTOCOL,  # certificate only, on ports an override names
    *banner.PROTOCOLS,  # ftp (21), telnet (23), any other banner
    isapi.PROTOCOL,  # Hikvision ISAPI, after a login
    magicbox.PROTOCOL,  # Dahua magicBox, after a login
    onvif.PROTOCOL,  # ONVIF device service: follow-up, captured answer, after a login
    dhcp.PROTOCOL,  # DHCP requests, heard only
    snmp.PROTOCOL,  # SNMP system group, read from files only
)
OPEN_ONLY_PORTS: tuple[int, ...] = (9000, 34567, 37777)
OPEN_ONLY = "tcp"
"""In a ``services`` override: the port is swept, no service probe runs on it."""

DISCOVERY_PROBES: tuple[DiscoveryProbe, ...] = tuple(
    spec.discovery for spec in PROTOCOLS if spec.discovery is not None
)
PROBES: tuple[ServiceProbe, ...] = tuple(probe for spec in PROTOCOLS for probe in spec.probes)
BY_NAME: Mapping[str, ServiceProbe] = {probe.name: probe for probe in PROBES}
#: The probes of a web service a login can be tried on, as (name, over TLS), best first.
WEB_SERVICES: tuple[tuple[str, bool], ...] = tuple(
    (probe.name, probe.tls)
    for probe in sorted(
        (p for p in PROBES if isinstance(p, HttpProbe)), key=lambda p: not p.tls
    )
)
CREDENTIALED: tuple[Step, ...] = tuple(
    spec.credentialed for spec in PROTOCOLS if spec.credentialed is not None
)


def _port_probes() -> dict[int, tuple[str, ...]]:
    table: dict[int, tuple[str, ...]] = {port: () for port in OPEN_ONLY_PORTS}
    for spec in PROTOCOLS:
        for name, ports in spec.ports.items():
            for port in ports:
                table[port] = (*table.get(port, ()), name)
    return dict(sorted(table.items()))


PORT_PROBES: Mapping[int, tuple[str, ...]] = _port_probes()
DEFAULT_PORTS: tuple[int, ...] = tuple(PORT_PROBES)


def check_services(services: Mapping[int, Sequence[str]]) -> dict[int, tuple[str, ...]]:
    """Validate a ``services`` override; a bad port or probe name -> UsageError."""
    checked: dict[int, tuple[str, ...]] = {}
    for port, names in services.items():
        if not 0 < port < 65536:
            raise UsageError(f"camscan: port {port} is not a TCP port (1-65535)")
        unknown = [name for name in names if name not in BY_NAME and name != OPEN_ONLY]
        if unknown:
            raise UsageError(
                f"camscan: unknown probe '{unknown[0]}' for port {port} "
                f"(known: {', '.join((*BY_NAME, OPEN_ONLY))})"
            )
        checked[port] = tuple(names)
    return checked


def probes_for(
    port: int, services: Mapping[int, Sequence[str]] | None = None
) -> tuple[ServiceProbe, ...]:
    """The probes to run on an open ``port``: the override's if it names the port."""
    if services and port in services:
        names: Sequence[str] = services[port]
    else:
        names = PORT_PROBES.get(port, ())
    return tuple(BY_NAME[name] for name in names if name != OPEN_ONLY)


#: The passive hooks: discovery datagrams, frames below them, captured TCP streams.
LISTENING: tuple[Listening, ...] = tuple(
    spec.listening for spec in PROTOCOLS if spec.listening is not None
)
FRAMES: tuple[FrameReading, ...] = tuple(spec.frame for spec in PROTOCOLS if spec.frame)
STREAMS: tuple[StreamReading, ...] = tuple(stream for spec in PROTOCOLS for stream in spec.streams)
"""Offered a server stream in this order; notes about the streams as a whole go under the
first."""
DOCUMENTS: tuple[Document, ...] = tuple(spec.document for spec in PROTOCOLS if spec.document)
"""What the protocols serve over HTTP, recognised in a captured page (the http stream hook)."""
RAW_ONLY: tuple[str, ...] = tuple(spec.name for spec in PROTOCOLS if spec.needs_root)
"""Protocols sent or heard only through a raw socket: skipped without root."""

LISTENED = (
    *(listening.name for listening in LISTENING), *(frame.name for frame in FRAMES)
)
"""Protocols `camscan listen` hears, in the order their statuses are shown."""
_STREAMED = tuple(stream.name for stream in STREAMS)
CAPTURED = (*LISTENED, _STREAMED[0], *(document.probe for document in DOCUMENTS), *_STREAMED[1:])
"""Protocols read from a capture (scanner.passive), in the order their statuses are shown:
the documents served over HTTP right after the first stream protocol (HTTP)."""

FIELD_SPECS: Mapping[str, FieldSpec] = {
    field.name: field for spec in PROTOCOLS for field in spec.fields
}
#: The closed vocabulary of observation fields (documented in fingerprints/README.md).
#: A probe emits only these; ``camscan identify`` accepts only these; a fingerprint file is
#: named after one of them.
FIELDS: tuple[str, ...] = tuple(FIELD_SPECS)
STRUCTURED_FIELDS: frozenset[str] = frozenset(
    name for name, spec in FIELD_SPECS.items() if spec.table is not None
)
"""Fields whose value is parsed into a key table; every other field is matched as raw text."""
#: field -> keys of its parsed table that hold the firmware (version first, then its date).
FIRMWARE_KEYS: Mapping[str, tuple[str, ...]] = {
    name: spec.firmware_keys for name, spec in FIELD_SPECS.items() if spec.firmware_keys
}


def parse_field(field: str, value: str) -> dict[str, str] | None:
    """The flat key table of a structured field's value; None for a raw-text field.

    Raises only DecodeError (the value is broken, hostile, or larger than 64 KiB). The keys
    of each table are listed in fingerprints/README.md.
    """
    spec = FIELD_SPECS.get(field)
    return None if spec is None or spec.table is None else spec.table(value)


@functools.lru_cache(maxsize=256)
def table_of(field: str, value: str) -> Mapping[str, str] | None:
    """:func:`parse_field` once per value for every reader of it (the fingerprints, the
    self-declared reader, the firmware a risk finding rests on, the exposures): None for raw
    text or a broken value. Read-only, as it is shared."""
    try:
        table = parse_field(field, value)
    except DecodeError:
        return None
    return None if table is None else MappingProxyType(table)


def derived(field: str, value: str) -> list[tuple[str, str]]:
    """Further observations a structured one implies, as (field, value); never raises."""
    spec = FIELD_SPECS.get(field)
    if spec is None or spec.derive is None:
        return []
    try:
        return spec.derive(value)
    except DecodeError:
        return []
