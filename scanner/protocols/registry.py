"""The protocols camscan speaks: the discovery ones, the service probes, and which ports
camscan sweeps and which service probes run on each open one.

Adding a discovery protocol: its module in scanner.protocols and one entry in
``DISCOVERY_PROBES``. Adding a unicast protocol: a probe module, one entry in ``PROBES``,
its ports in ``PORT_PROBES``. The ``services`` override (port -> probe names) replaces the
map for the ports it names, so the simulated LAN can serve HTTP on 10080 or RTSP on 10554.
The name ``tcp`` there means "open port only, no service probe". ``tls`` (certificate only)
is for TLS ports that do not speak HTTP.

| port | probes | why |
| --- | --- | --- |
| 21 | ftp | FTP greeting (Axis, D-Link and many DVRs run an FTP server) |
| 23 | telnet | telnet greeting (Hikvision ``192.0.0.64 login:``, Bosch, Grandstream) |
| 80 81 88 8080 8081 2020 49152 | http | web UI; 2020 and 49152 are UPnP description servers |
| 8000 | http | Hikvision SDK port; anything not HTTP is reported as "not HTTP" |
| 443 8443 | https | web UI over TLS; its handshake also gives the certificate's names |
| 554 8554 | rtsp | streaming server |
| 9000 34567 37777 | (none) | Reolink, Xiongmai, Dahua private protocols: the open port says it |
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from scanner.errors import DecodeError, UsageError
from scanner.protocols import (
    arp,
    banner,
    dhcp,
    dhip,
    http,
    isapi,
    magicbox,
    mdns,
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
from scanner.protocols.arp import ArpProbe
from scanner.protocols.banner import BannerProbe
from scanner.protocols.dhip import DhipProbe
from scanner.protocols.field import FieldSpec
from scanner.protocols.frame import FrameReading
from scanner.protocols.host import ServiceProbe
from scanner.protocols.http import HttpProbe
from scanner.protocols.lan import DiscoveryProbe
from scanner.protocols.listening import Listening
from scanner.protocols.login import Step
from scanner.protocols.mdns import MdnsProbe
from scanner.protocols.rtsp import RtspProbe
from scanner.protocols.sadp import SadpProbe
from scanner.protocols.ssdp import SsdpProbe
from scanner.protocols.stream import StreamReading
from scanner.protocols.tdp import TdpProbe
from scanner.protocols.tls import TlsProbe
from scanner.protocols.ubnt import UbntProbe
from scanner.protocols.wsd import WsdProbe
from scanner.protocols.xm import XmProbe

#: Every discovery protocol, once: asked of the whole LAN and/or each target directly.
DISCOVERY_PROBES: tuple[DiscoveryProbe, ...] = (
    WsdProbe(),  # ONVIF WS-Discovery 3702 (+ ONVIF calls to the sender's own XAddr)
    SsdpProbe(),  # SSDP 1900 (+ UPnP description at the sender's LOCATION)
    MdnsProbe(),  # mDNS / DNS-SD 5353 via python-zeroconf
    SadpProbe(),  # Hikvision SADP 37020
    DhipProbe(),  # Dahua DHIP 37810
    UbntProbe(),  # Ubiquiti discovery 10001
    XmProbe(),  # Xiongmai / XMEye 34569
    TdpProbe(),  # TP-Link TDP 20002 (Tapo cameras, doorbells, hubs)
    ArpProbe(),  # ARP sweep (root) or the kernel's neighbour table
)

#: The credentialed hooks, in the order they are tried on a host after a login is configured
#: (scanner.engine.credentialed): Hikvision ISAPI, Dahua magicBox, ONVIF GetDeviceInformation.
CREDENTIALED: tuple[Step, ...] = (isapi.credentialed, magicbox.credentialed, onvif.credentialed)

#: Every unicast service probe, once.
PROBES: tuple[ServiceProbe, ...] = (
    HttpProbe("http"),
    HttpProbe("https", tls=True),
    TlsProbe("tls"),
    RtspProbe("rtsp"),
    BannerProbe("ftp", "ftp.banner"),
    BannerProbe("telnet", "telnet.banner"),
    BannerProbe("banner", "tcp.banner"),
)
BY_NAME: Mapping[str, ServiceProbe] = {probe.name: probe for probe in PROBES}
#: The probes of a web service a login can be tried on, as (name, over TLS), best first.
WEB_SERVICES: tuple[tuple[str, bool], ...] = tuple(
    (probe.name, probe.tls)
    for probe in sorted(
        (p for p in PROBES if isinstance(p, HttpProbe)), key=lambda p: not p.tls
    )
)

_HTTP, _HTTPS, _RTSP = ("http",), ("https",), ("rtsp",)
PORT_PROBES: Mapping[int, tuple[str, ...]] = {
    21: ("ftp",),
    23: ("telnet",),
    80: _HTTP,
    81: _HTTP,
    88: _HTTP,
    443: _HTTPS,
    554: _RTSP,
    2020: _HTTP,
    8000: _HTTP,
    8080: _HTTP,
    8081: _HTTP,
    8443: _HTTPS,
    8554: _RTSP,
    9000: (),
    34567: (),
    37777: (),
    49152: _HTTP,
}
DEFAULT_PORTS: tuple[int, ...] = tuple(sorted(PORT_PROBES))
OPEN_ONLY = "tcp"
"""In a ``services`` override: the port is swept, no service probe runs on it."""


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


#: Every discovery protocol as passive listening hears it (port, groups, its read hook).
LISTENING: tuple[Listening, ...] = tuple(
    module.LISTENING for module in (ssdp, wsd, mdns_heard, sadp, dhip, ubnt, xm, tdp)
)

#: The protocols below the discovery ports as the frame reader hears them (scanner.passive).
FRAMES: tuple[FrameReading, ...] = (arp.FRAME, dhcp.FRAME)

#: Every TCP protocol as a capture's streams are read (scanner.passive.streams), in the order
#: a server stream is offered to them; notes about the streams as a whole go under the first.
STREAMS: tuple[StreamReading, ...] = (
    http.stream_reading((ssdp.DOCUMENT, onvif.DOCUMENT)),
    rtsp.STREAM,
    tls.STREAM,
    banner.stream_reading("ftp", "ftp.banner", 21),
    banner.stream_reading("telnet", "telnet.banner", 23),
)

LISTENED = ("ssdp", "wsd", "mdns", "sadp", "dhip", "ubnt", "xm", "tdp", "arp", "dhcp")
"""Protocols `camscan listen` hears, in the order their statuses are shown."""
CAPTURED = (*LISTENED, "http", "upnp", "onvif", "rtsp", "tls", "ftp", "telnet")
"""Protocols read from a capture (scanner.passive), in the order their statuses are shown."""

#: Every protocol module that declares observation fields (its ``FIELDS``).
_DECLARING = (
    http, rtsp, tls, arp, onvif, wsd, ssdp, mdns, sadp, dhip, ubnt, xm, tdp, magicbox, isapi,
    banner, dhcp, snmp,
)
FIELD_SPECS: Mapping[str, FieldSpec] = {
    spec.name: spec for module in _DECLARING for spec in module.FIELDS
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


def derived(field: str, value: str) -> list[tuple[str, str]]:
    """Further observations a structured one implies, as (field, value); never raises."""
    spec = FIELD_SPECS.get(field)
    if spec is None or spec.derive is None:
        return []
    try:
        return spec.derive(value)
    except DecodeError:
        return []
