"""Which ports camscan sweeps, and which service probes run on each open one.

Adding a unicast protocol: a probe module, one entry in ``PROBES``, its ports in
``PORT_PROBES``. The ``services`` override (port -> probe names) replaces the map for the ports
it names, so the simulated LAN can serve HTTP on 10080 or RTSP on 10554. The name ``tcp``
there means "open port only, no service probe". ``tls`` (certificate only) is for TLS ports
that do not speak HTTP.

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

from scanner.errors import UsageError
from scanner.probes.banner import BannerProbe
from scanner.probes.base import ServiceProbe
from scanner.probes.http import HttpProbe
from scanner.probes.rtsp import RtspProbe
from scanner.probes.tls import TlsProbe

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
