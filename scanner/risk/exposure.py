"""Exposure findings: services open to anyone, read from what the scan already saw.

Every finding here is a reading of observations, probe statuses and open ports the scan
recorded anyway; none sends a request (a test compares the requests of a scan with and
without risk findings). Whether a request carried a login is known only for camscan's own
requests, which never do: from a capture or an observations file, an SDP or a device
information answer may have followed someone else's login, so those findings are
``possible`` there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from scanner.model import Observation, Outcome, ProbeStatus, Risk, Verdict
from scanner.protocols.registry import table_of
from scanner.risk.advisories import FactoryAddress
from scanner.risk.firmware import Firmware

README = "README.md#risk-findings"
"""Where each exposure is explained: camscan's README, section "Risk findings"."""

Severity = Literal["critical", "high", "medium", "low"]


@dataclass(frozen=True, slots=True)
class Seen:
    """Everything of one device an exposure may read."""

    ip: str
    observations: Sequence[Observation]
    probes: Sequence[ProbeStatus]
    open_ports: Sequence[int]
    verdict: Verdict
    firmware: Firmware | None
    first_hand: bool
    """The observations are camscan's own answers (a scan), not a capture or a file."""
    https_ports: frozenset[int] | None
    """The TCP ports the scan looked for HTTPS on (None: unknown, as for identify)."""


def _ports(seen: Seen, field: str) -> list[int]:
    return sorted({o.port for o in seen.observations if o.field == field and o.port is not None})


def _where(ports: Sequence[int]) -> str:
    return f" on port {', '.join(str(p) for p in ports)}" if ports else ""


def _answered(
    ident: str, severity: Severity, ours: bool, affected: str, possible: str
) -> Risk:
    """A request answered without credentials: ``affected`` when it was camscan's own (which
    never carries a login), else only ``possible`` (someone's request may have had one)."""
    if ours:
        return Risk(ident, "exposure", "affected", severity, affected, README)
    return Risk(ident, "exposure", "possible", severity, possible, README)


def rtsp_open(seen: Seen) -> Risk | None:
    """An RTSP DESCRIBE answered with an SDP: the stream is described to anyone who asks."""
    sdp = [o for o in seen.observations if o.field == "rtsp.sdp"]
    if not sdp:
        return None
    ports = _ports(seen, "rtsp.sdp")
    return _answered(
        "rtsp-open", "high", seen.first_hand,
        f"RTSP DESCRIBE without credentials{_where(ports)} was answered with the "
        "stream's SDP: the video is open to anyone on the network",
        f"an RTSP DESCRIBE{_where(ports)} was answered with an SDP; whether that request "
        "carried a login is not in the capture's record",
    )


def onvif_open(seen: Seen) -> Risk | None:
    """GetDeviceInformation answered (not a SOAP fault) to camscan's unauthenticated call."""
    answered = []
    for obs in seen.observations:
        if obs.field != "onvif.device_information" or obs.probe == "credentialed":
            continue  # the credentialed probe may have logged in: it proves nothing here
        table = table_of(obs.field, obs.value)
        if table and "fault" not in table:
            answered.append(obs)
    if not answered:
        return None
    ports = _ports(seen, "onvif.device_information")
    return _answered(
        "onvif-open", "low", seen.first_hand and any(o.probe == "onvif" for o in answered),
        f"ONVIF GetDeviceInformation without credentials{_where(ports)} was answered "
        "(model, firmware and serial to anyone)",
        f"an ONVIF GetDeviceInformation answer{_where(ports)} was seen; whether its "
        "request carried a login is not known",
    )


def _service(
    seen: Seen, port: int, field: str, ident: str, why: str, severity: Severity
) -> Risk | None:
    name = {"telnet-open": "telnet", "ftp-open": "FTP"}[ident]
    banner = any(o.field == field for o in seen.observations)
    if port not in seen.open_ports and not banner:
        return None
    ports = _ports(seen, field)
    how = (f"the {name} service greeted{_where(ports)}" if banner
           else f"TCP port {port} ({name}) accepted a connection")
    return Risk(ident, "exposure", "affected", severity, f"{how}: {why}", README)


def telnet_open(seen: Seen) -> Risk | None:
    return _service(seen, 23, "telnet.banner", "telnet-open",
                    "a login service that sends passwords in clear text; the way Mirai-style "
                    "botnets enter cameras", "high")


def ftp_open(seen: Seen) -> Risk | None:
    return _service(seen, 21, "ftp.banner", "ftp-open",
                    "logins and files cross the network in clear text", "medium")


def _ok(seen: Seen, probe: str) -> bool:
    return any(s.probe == probe and s.outcome is Outcome.OK for s in seen.probes)


def http_only(seen: Seen) -> Risk | None:
    """A web UI on plain HTTP, and the scan looked for HTTPS and found none."""
    if not seen.first_hand or seen.https_ports is None:
        return None  # absence of HTTPS is known only when camscan itself looked
    web = [o for o in seen.observations if o.probe == "http" and o.field.startswith("http.")]
    if not web or not seen.https_ports:
        return None
    if seen.https_ports & set(seen.open_ports) or _ok(seen, "https") or any(
        o.field.startswith("tls.") for o in seen.observations
    ):
        return None
    basic = any(
        o.field == "http.www_authenticate" and o.value.lower().startswith("basic")
        for o in web
    )
    checked = ", ".join(str(p) for p in sorted(seen.https_ports))
    return Risk("http-only", "exposure", "affected", "medium",
                f"the web interface answers on plain HTTP{_where(_ports(seen, web[0].field))} "
                f"and no HTTPS port ({checked}) is open"
                + ("; it asks for HTTP Basic, so the password crosses in clear" if basic else ""),
                README)


def factory_address(seen: Seen, table: Sequence[FactoryAddress]) -> Risk | None:
    """The device still has its maker's out-of-the-box address."""
    makers = {seen.verdict.manufacturer, seen.verdict.brand} - {None}
    for row in table:
        if row.address == seen.ip and row.maker in makers:
            return Risk("factory-address", "exposure", "affected", "low",
                        f"{row.maker} devices leave the factory on {row.address} and this one "
                        "is still there: it was probably never configured", row.sources[0])
    return None


def old_firmware(seen: Seen, today: dt.date, years: float) -> Risk | None:
    """Firmware built more than ``years`` ago (only when the build date was seen)."""
    firmware = seen.firmware
    if firmware is None or firmware.build is None or years <= 0:
        return None
    age = (today - firmware.build).days / 365.25
    if age <= years:
        return None
    return Risk("old-firmware", "exposure", "affected", "medium",
                f"firmware {firmware.text} was built on {firmware.build.isoformat()}, "
                f"{age:.1f} years ago (limit {years:g}): it lacks every fix published since",
                README)


def exposures(
    seen: Seen, factory: Sequence[FactoryAddress], today: dt.date, years: float
) -> Iterator[Risk]:
    for finding in (
        rtsp_open(seen),
        onvif_open(seen),
        telnet_open(seen),
        ftp_open(seen),
        http_only(seen),
        factory_address(seen, factory),
        old_firmware(seen, today, years),
    ):
        if finding is not None:
            yield finding
