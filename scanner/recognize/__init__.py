"""Observations -> Evidence -> Verdict, and Devices built from them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from scanner.errors import bug_detail
from scanner.model import Compliance, Device, Evidence, Observation, Outcome, ProbeStatus, Verdict
from scanner.protocols.registry import derived, table_of
from scanner.recognize import declared, orgs
from scanner.recognize.classify import classify
from scanner.recognize.compliance import RegulatoryList, assess, load_lists
from scanner.recognize.fingerprints import Database, load_database
from scanner.recognize.oui import lookup, normalise_mac, oui_evidence
from scanner.risk import RiskSettings, assess_risks, load_advisories

__all__ = ["Database", "Recognizer", "load_database"]


@dataclass(frozen=True)
class Recognizer:
    """The fingerprint database and the classifier, ready to judge devices."""

    database: Database
    lists: tuple[RegulatoryList, ...] = ()
    sources: tuple[declared.Source, ...] = ()
    """Where answers state the device's identity (fingerprints/declared.toml)."""
    risk: RiskSettings = field(default_factory=RiskSettings)
    """Advisory data and limits for the risk findings (scanner.risk)."""

    @classmethod
    def load(cls, root: Path | None = None) -> Recognizer:
        database = load_database(root)
        advisories = load_advisories(database.root, database.vocabulary)
        return cls(
            database,
            load_lists(database.root),
            declared.load_sources(database.root),
            RiskSettings(advisories),
        )

    def with_firmware_age(self, years: float) -> Recognizer:
        """The same recognizer with another ``--firmware-age`` limit."""
        return replace(self, risk=replace(self.risk, firmware_age=years))

    def expand(self, observations: Iterable[Observation]) -> list[Observation]:
        """The observations plus those implied by structured ones (ProbeMatch -> scopes) and
        what each states of the device (declared.model, declared.firmware, ...)."""
        result: list[Observation] = []
        seen: set[tuple[str, str]] = set()
        for obs in observations:
            implied = self._derived(obs)
            for item in (obs, *implied):
                stated = declared.observations(item, _table(item), self.sources)
                for one in (item, *stated):
                    if (one.field, one.value) not in seen:
                        seen.add((one.field, one.value))
                        result.append(one)
        return result

    @staticmethod
    def _derived(obs: Observation) -> list[Observation]:
        return [
            Observation(obs.host, obs.port, obs.probe, field, value)
            for field, value in derived(obs.field, obs.value)
        ]

    def _vendor_evidence(self, obs: Observation, found: Sequence[Evidence]) -> list[Evidence]:
        """What `obs` says its vendor is, unless a fingerprint already read the same name."""
        vocabulary = self.database.vocabulary
        named = {
            vocabulary.canonical(str(v)) or str(v)
            for e in found
            for k, v in e.asserts.items()
            if k in ("manufacturer", "brand")
        }
        root = self.database.root
        stated = declared.vendor_evidence(
            obs,
            _table(obs),
            self.sources,
            vocabulary,
            orgs.registry_cores,  # read only when a stated name is not in the vocabulary
            lambda mac: lookup(mac, vocabulary, root).vendor,
        )
        return [e for e in stated if e.asserts.get("brand") not in named]

    def device(
        self,
        ip: str,
        observations: Sequence[Observation],
        probes: Sequence[ProbeStatus] = (),
        found_by: Sequence[str] = (),
        open_ports: Sequence[int] = (),
        *,
        first_hand: bool = False,
        https_ports: frozenset[int] | None = None,
    ) -> Device:
        """Judge one host from everything seen of it.

        ``first_hand``: the observations are answers to camscan's own requests (a scan), which
        never carry a login; ``https_ports``: the ports that scan looked for HTTPS on. Both only
        sharpen risk findings (an SDP seen in a capture may have followed someone's login)."""
        problems: list[str] = []  # a bug met on one answer costs that answer, not the audit
        try:
            expanded = self.expand(observations)
        except Exception as exc:  # noqa: BLE001 - reported as this host's identify error
            problems.append(bug_detail(exc))
            expanded = list(observations)
        evidence: list[Evidence] = []
        mac: str | None = None
        oui_vendor: str | None = None
        vocabulary = self.database.vocabulary
        for obs in expanded:
            if obs.field == "mac":
                mac = mac or normalise_mac(obs.value)
                continue
            try:
                matched = self.database.match(obs)
                stated = self._vendor_evidence(obs, matched)
            except Exception as exc:  # noqa: BLE001 - reported as this host's identify error
                problems.append(f"{obs.field}: {bug_detail(exc)}")
                continue
            evidence.extend(matched)
            evidence.extend(stated)
        if mac is not None:
            mac_obs = next(o for o in expanded if o.field == "mac")
            info = lookup(mac, vocabulary, self.database.root)
            oui_vendor = info.registrant
            extra = oui_evidence(mac_obs, info, vocabulary)
            if extra is not None:
                evidence.append(extra)
        try:
            verdict = classify(evidence, vocabulary, oui_vendor)
            compliance = assess(verdict, vocabulary, self.lists)
            risks = assess_risks(
                ip, verdict, observations, probes, open_ports, self.risk,
                first_hand=first_hand, https_ports=https_ports,
            )
        except Exception as exc:  # noqa: BLE001 - reported as this host's identify error
            problems.append(bug_detail(exc))
            verdict, compliance, risks = Verdict.unknown(), Compliance.unknown(), ()
        if problems:
            detail = "; ".join(problems)[:400]
            probes = (*probes, ProbeStatus("identify", Outcome.ERROR, detail))
        return Device(
            ip=ip,
            mac=mac,
            observations=tuple(observations),
            probes=tuple(probes),
            verdict=verdict,
            found_by=tuple(dict.fromkeys(found_by)),
            open_ports=tuple(sorted(set(open_ports))),
            compliance=compliance,
            risks=risks,
        )


def _table(obs: Observation) -> Mapping[str, str] | None:
    return table_of(obs.field, obs.value)
