"""Risk findings (issue 13): known-exploited firmware and exposed services, from what the scan
already saw, touching nothing.

``assess`` is called for every device, by scan, identify, identify --pcap, listen and demo
alike (through ``Recognizer.device``), so they all give the same findings for the same
answers. A vulnerability needs both the model and the firmware: a model match with unknown
firmware is ``possible``, never ``affected``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from scanner.model import Observation, ProbeStatus, Risk, Verdict
from scanner.risk.advisories import AdvisoryData, Match, applies_to, load_advisories, match
from scanner.risk.exposure import Seen, exposures
from scanner.risk.facts import firmware_seen

__all__ = [
    "FAIL_ON", "AdvisoryData", "RiskSettings", "assess_risks", "load_advisories", "rank",
    "severity_of", "trips",
]

DEFAULT_FIRMWARE_AGE = 5.0
"""Years after its build date that firmware is reported as old (``--firmware-age``)."""
STALE_DAYS = 180
"""Advisory data older than this draws a warning: newer advisories are missing from it."""

_SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}
FAIL_ON: tuple[str, ...] = ("kev", "high", "any")
"""What ``--fail-on`` accepts: a known-exploited vulnerability, high or critical, anything."""


@dataclass(frozen=True, slots=True)
class RiskSettings:
    """How findings are made: the data, the firmware age limit, and what the answers are."""

    data: AdvisoryData | None = None
    firmware_age: float = DEFAULT_FIRMWARE_AGE
    today: dt.date = field(default_factory=dt.date.today)


Severity = Literal["critical", "high", "medium", "low"]


def severity_of(cvss: float) -> Severity:
    """CVSS v3 qualitative band: 9.0+ critical, 7.0+ high, 4.0+ medium, else low."""
    if cvss >= 9.0:
        return "critical"
    if cvss >= 7.0:
        return "high"
    return "medium" if cvss >= 4.0 else "low"


def _vulnerability(found: Match, model: str, firmware_text: str | None) -> Risk:
    advisory = found.advisory
    seen = f"firmware {firmware_text}" if firmware_text else "unknown firmware"
    basis = f"{model} ({found.product.name}) with {seen}: {found.why}"
    return Risk(
        id=advisory.cve,
        kind="vulnerability",
        status=found.status,
        severity=severity_of(advisory.cvss),
        basis=basis,
        source=advisory.url,
        kev=advisory.kev,
        kev_added=advisory.kev_added,
        cvss=advisory.cvss,
        summary=advisory.summary,
    )


def trips(risks: Sequence[Risk], fail_on: str | None) -> bool:
    """True when an *affected* finding is of the kind ``--fail-on`` names (``possible`` ones
    never trip it, as ``possible`` compliance flags never trip ``--policy``)."""
    for risk in risks:
        if fail_on is None or risk.status != "affected":
            continue
        if (
            fail_on == "any"
            or (fail_on == "kev" and risk.kev)
            or (fail_on == "high" and risk.severity in ("high", "critical"))
        ):
            return True
    return False


def rank(risk: Risk) -> tuple[int, int, int, str]:
    """Affected before possible, KEV first, then by severity, then by id."""
    return (risk.status != "affected", not risk.kev, _SEVERITY_RANK[risk.severity], risk.id)


def assess_risks(
    ip: str,
    verdict: Verdict,
    observations: Sequence[Observation],
    probes: Sequence[ProbeStatus],
    open_ports: Sequence[int],
    settings: RiskSettings,
    *,
    first_hand: bool = False,
    https_ports: frozenset[int] | None = None,
) -> tuple[Risk, ...]:
    """Every finding for one device, most serious first."""
    firmware = firmware_seen(verdict, observations)
    found: list[Risk] = []
    data = settings.data
    makers = [name for name in (verdict.manufacturer, verdict.brand) if name]
    if data is not None and verdict.model and makers:
        for advisory in data.advisories:
            if not applies_to(advisory, makers):
                continue
            hit = match(advisory, verdict.model, firmware)
            if hit is not None:
                text = firmware.text if firmware else None
                found.append(_vulnerability(hit, verdict.model, text))
    seen = Seen(ip, observations, probes, open_ports, verdict, firmware, first_hand, https_ports)
    factory = data.factory if data is not None else ()
    found.extend(exposures(seen, factory, settings.today, settings.firmware_age))
    return tuple(sorted(found, key=rank))
