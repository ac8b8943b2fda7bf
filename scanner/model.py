"""The one data model that flows from probe to output.

probe -> Observation -> (fingerprints) -> Evidence -> (classifier) -> Verdict -> Device -> formatter

Every class is a frozen dataclass: a value, never a mutable record shared between rooms.
The JSON contract (``"schema": "camscan/1"``) is written from these by ``scanner.output``.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Literal

#: What a device states of itself, derived from the observation fields (whose vocabulary is
#: scanner.protocols.registry.FIELDS) by scanner/recognize/declared.py, which reads
#: fingerprints/declared.toml; fingerprint files match them like any field, but probes never
#: emit them.
DECLARED_FIELDS: tuple[str, ...] = (
    "declared.model",
    "declared.firmware",
    "declared.serial",
    "declared.type",
)

DeviceType = Literal[
    "camera", "nvr", "dvr", "printer", "nas", "router", "access-point", "switch", "firewall",
    "tv", "media-player", "speaker", "iot", "voip-phone", "computer", "phone", "other",
]
#: Cameras and recorders first; the rest name what a LAN is mostly made of.
DEVICE_TYPES: tuple[str, ...] = (
    "camera", "nvr", "dvr", "printer", "nas", "router", "access-point", "switch", "firewall",
    "tv", "media-player", "speaker", "iot", "voip-phone", "computer", "phone", "other",
)
#: The device types that are video surveillance equipment (is_camera true).
CAMERA_TYPES: frozenset[str] = frozenset({"camera", "nvr", "dvr"})

#: The Verdict's identity fields, in the order reports show them (``csv`` columns).
IDENTITY: tuple[str, ...] = (
    "manufacturer", "brand", "model", "firmware", "device_type", "is_camera"
)
#: Fields a fingerprint may assert. ``generic`` marks software that appears on many makers'
#: devices (Boa, GoAhead, lighttpd): recorded as evidence, but it names no maker.
ASSERTABLE: tuple[str, ...] = (*IDENTITY, "serial", "generic")


class Outcome(enum.Enum):
    """How one probe of one device ended. Outcomes are values: nothing vanishes silently."""

    OK = "ok"  # the device answered and the answer was read
    REFUSED = "refused"  # TCP RST / ICMP unreachable
    TIMEOUT = "timeout"  # no answer within the probe's window
    NO_ANSWER = "no-answer"  # nothing matched (e.g. no open port for this protocol)
    ERROR = "error"  # the answer was broken or hostile (detail says how)
    SKIPPED = "skipped"  # not run (detail says why, e.g. "needs root")


@dataclass(frozen=True, slots=True)
class Observation:
    """One fact a device told us, as it told it."""

    host: str
    """The IP address that answered."""
    port: int | None
    """Transport port the answer came from (None for layer-2 facts such as a MAC)."""
    probe: str
    """Name of the probe that saw it ("http", "rtsp", "sadp", "identify", ...)."""
    field: str
    """One of scanner.protocols.registry.FIELDS."""
    value: str
    """The raw value, already decoded to text and bounded in size."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """An observation that matched a fingerprint, and what that fingerprint asserts."""

    fingerprint: str
    """Id of the matching fingerprint (unique across fingerprints/)."""
    observation: Observation
    asserts: dict[str, str | bool]
    """Fields the match asserts: manufacturer, brand, model, firmware, device_type, ..."""
    weight: float
    """How much this evidence counts, 0..1 (strong vendor-unique signal ~0.9, OUI ~0.3)."""
    description: str = ""
    """The fingerprint's one-line description, shown to a reviewer."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """What camscan concludes about one device, with everything it rests on."""

    manufacturer: str | None
    """Who built the platform/firmware (Dahua for a Lorex camera)."""
    brand: str | None
    """The label the device is sold under (Lorex)."""
    model: str | None
    firmware: str | None
    device_type: DeviceType | None
    is_camera: bool | None
    confidence: float
    """0..1: how sure camscan is of the manufacturer."""
    evidence: tuple[Evidence, ...]
    reason: str = ""
    """One line a human can check, e.g. 'Dahua platform (DHIP reply); sold as Lorex (OUI)'."""
    oui_vendor: str | None = None
    """Registrant of the MAC's OUI block, verbatim from the IEEE table (may be the brand)."""
    conflicts: tuple[str, ...] = ()
    """Makers that other evidence pointed to, when the evidence disagreed."""
    serial: str | None = None

    @staticmethod
    def unknown() -> Verdict:
        return Verdict(None, None, None, None, None, None, 0.0, (), "no identifying evidence")


@dataclass(frozen=True, slots=True)
class ProbeStatus:
    """How one probe went for one device."""

    probe: str
    outcome: Outcome
    detail: str = ""

    def label(self) -> str:
        """'ok', 'refused', or 'skipped: needs root' as the JSON shows it."""
        return f"{self.outcome.value}: {self.detail}" if self.detail else self.outcome.value


@dataclass(frozen=True, slots=True)
class ListFlag:
    """One regulatory list that covers a device, and how firmly."""

    list_id: str
    """"ndaa889", "fcc" or "uk2022" (fingerprints/compliance.toml)."""
    name: str
    status: Literal["covered", "possible"]
    """covered: strong evidence names a listed maker; possible: only weak evidence does."""
    entity: str
    """The listed entity (corporate group) the maker belongs to."""
    source: str


@dataclass(frozen=True, slots=True)
class Compliance:
    """Which lists cover a device, on what evidence. A risk flag, not a legal finding."""

    status: Literal["covered", "possible", "not-covered", "unknown"]
    flags: tuple[ListFlag, ...]
    basis: str
    """One line: the evidence the flag rests on (or why there is none)."""

    @staticmethod
    def unknown() -> Compliance:
        return Compliance("unknown", (), "maker unknown")


@dataclass(frozen=True, slots=True)
class Risk:
    """One thing wrong with a device, found from what the scan already saw (issue 13).

    A vulnerability is a known flaw of the device's model and firmware (fingerprints/
    advisories.toml); an exposure is a service open to anyone. camscan never tries either."""

    id: str
    """A CVE id ("CVE-2021-36260") or an exposure id ("rtsp-open", "telnet-open", ...)."""
    kind: Literal["vulnerability", "exposure"]
    status: Literal["affected", "possible"]
    """affected: model and firmware (or the service) are known and inside the finding;
    possible: the model matches but the firmware, or what the request carried, is unknown."""
    severity: Literal["critical", "high", "medium", "low"]
    """From the CVSS base score for a vulnerability (v3 bands); camscan's rating for an
    exposure (README, "Risk findings")."""
    basis: str
    """One line: what the finding rests on, a person can check it."""
    source: str
    """The advisory URL, or the source of the fact an exposure rests on."""
    kev: bool = False
    """In CISA's Known Exploited Vulnerabilities catalogue."""
    kev_added: str | None = None
    cvss: float | None = None
    summary: str = ""


@dataclass(frozen=True, slots=True)
class Device:
    """One device (one IP address), everything seen of it, and the verdict."""

    ip: str
    mac: str | None
    observations: tuple[Observation, ...]
    probes: tuple[ProbeStatus, ...]
    verdict: Verdict
    found_by: tuple[str, ...] = ()
    """Probes that found this device (answered at all)."""
    open_ports: tuple[int, ...] = ()
    compliance: Compliance | None = None
    risks: tuple[Risk, ...] = ()
    """Vulnerabilities and exposures, most severe first (scanner.risk)."""


@dataclass(frozen=True, slots=True)
class ScanInfo:
    """What was scanned, when, and how: the "scan" object of the JSON document."""

    started: str
    finished: str
    targets: tuple[str, ...]
    ports: tuple[int, ...] = ()
    command: str = "scan"
    camscan_version: str = ""
    fingerprints: int = 0
    options: dict[str, object] = field(default_factory=dict)


def now() -> str:
    """The current UTC time as the scan document writes it (seconds, ISO 8601)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
