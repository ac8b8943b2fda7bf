"""``camscan merge``: one ``camscan/1`` document from several scans (sites, VLANs, days).

Which sightings are one device:

- the same MAC, in any two scans;
- else the same serial (``verdict.serial``), when the MACs do not disagree;
- else the same IP address *at the same site*, when neither MACs nor serials disagree.

A site is one input scan: 192.168.1.20 at two sites is two devices unless a MAC or a serial
says otherwise, because private address plans repeat and two scans with the same targets may
well be two offices. ``same_site=True`` (``--same-site``) declares every input a scan of one
network (repeated scans, say), so an address pairs across inputs too. Sightings read from an
already merged document keep their own scan names, so merging merges composes.

Each merged device is the sighting with the most confident verdict (the first one on a tie),
unchanged but for ``mac`` (filled in from another sighting when it had none) and ``seen_in``,
the list of every sighting: ``{"scan": <input file>, "ip": ..., "started": ...}``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scanner import __version__
from scanner.audit.document import DeviceRecord, ScanDocument
from scanner.output.contract import (
    SCHEMA,
    count_names,  # the summary's ordering rule
    ip_sort_key,
)

NOT_ASSESSED: dict[str, Any] = {
    "status": "unknown",
    "basis": "not assessed: the scan was written before camscan checked regulatory lists",
    "lists": [],
}
"""The compliance block given to a device from an older document, which has none (the
contract now requires one; ``unknown`` claims nothing)."""

ANY_SITE = "*"
"""The site of every sighting under ``same_site``."""


@dataclass(frozen=True, slots=True)
class Sighting:
    """Where and when one scan saw a device."""

    scan: str
    """The input's label: the file name given to merge (kept from ``seen_in`` when present)."""
    ip: str
    started: str

    def to_dict(self) -> dict[str, str]:
        return {"scan": self.scan, "ip": self.ip, "started": self.started}


def sightings(doc: ScanDocument, device: DeviceRecord) -> tuple[Sighting, ...]:
    """The device's ``seen_in`` if it has one (a merged input), else this scan's sighting."""
    seen = device.data.get("seen_in")
    if seen:
        return tuple(Sighting(s["scan"], s["ip"], s["started"]) for s in seen)
    return (Sighting(doc.label, device.ip, doc.scan["started"]),)


@dataclass(slots=True, eq=False)  # a group is an identity: two may hold equal sightings
class _Group:
    """The sightings found so far to be one device (built up by :func:`group_devices`)."""

    members: list[DeviceRecord] = field(default_factory=list)
    seen: list[Sighting] = field(default_factory=list)
    macs: set[str] = field(default_factory=set)
    serials: set[str] = field(default_factory=set)

    def disagrees(self, device: DeviceRecord, keys: Iterable[str]) -> bool:
        """True when the group and ``device`` both know a MAC (or serial) and differ on it."""
        known = {"mac": self.macs, "serial": self.serials}
        for key in keys:
            value = getattr(device, key)
            if value is not None and known[key] and value not in known[key]:
                return True
        return False


class _Index:
    """Groups by MAC, by serial and by (site, IP), for the matching rules above."""

    def __init__(self, same_site: bool) -> None:
        self.same_site = same_site
        self.groups: list[_Group] = []
        self.by_mac: dict[str, _Group] = {}
        self.by_serial: dict[str, _Group] = {}
        self.by_address: dict[tuple[str, str], list[_Group]] = {}

    def address_keys(self, seen: Iterable[Sighting]) -> list[tuple[str, str]]:
        return [(ANY_SITE if self.same_site else s.scan, s.ip) for s in seen]

    def find(self, device: DeviceRecord, seen: Sequence[Sighting]) -> _Group | None:
        if device.mac is not None and device.mac in self.by_mac:
            return self.by_mac[device.mac]
        group = self.by_serial.get(device.serial) if device.serial is not None else None
        if group is not None and not group.disagrees(device, ("mac",)):
            return group
        for key in self.address_keys(seen):
            for group in self.by_address.get(key, []):
                if not group.disagrees(device, ("mac", "serial")):
                    return group
        return None

    def add(self, device: DeviceRecord, seen: Sequence[Sighting]) -> None:
        group = self.find(device, seen)
        if group is None:
            group = _Group()
            self.groups.append(group)
        group.members.append(device)
        group.seen.extend(s for s in seen if s not in group.seen)
        if device.mac is not None:
            group.macs.add(device.mac)
            self.by_mac.setdefault(device.mac, group)
        if device.serial is not None:
            group.serials.add(device.serial)
            self.by_serial.setdefault(device.serial, group)
        for key in self.address_keys(seen):
            if group not in self.by_address.setdefault(key, []):
                self.by_address[key].append(group)


def group_devices(docs: Sequence[ScanDocument], *, same_site: bool = False) -> list[_Group]:
    """Every device of every document, grouped by the rules of the module docstring."""
    index = _Index(same_site)
    for doc in docs:
        for device in doc.devices:
            index.add(device, sightings(doc, device))
    return index.groups


def _merged_device(group: _Group) -> dict[str, Any]:
    best = max(group.members, key=lambda d: float(d.verdict("confidence")))  # first on a tie
    device = dict(best.data)
    device["mac"] = best.mac or next((m.mac for m in group.members if m.mac), None)
    device.setdefault("compliance", NOT_ASSESSED)
    device["seen_in"] = [s.to_dict() for s in group.seen]
    return device


def _instant(stamp: str) -> tuple[int, float, str]:
    """Order of two timestamps: by the moment they name when readable, else by their text."""
    with contextlib.suppress(ValueError):
        return (0, datetime.fromisoformat(stamp).timestamp(), stamp)
    return (1, 0.0, stamp)


def merged_scan(docs: Sequence[ScanDocument], same_site: bool) -> dict[str, Any]:
    """The ``scan`` object of a merge: the span of the inputs, their targets and ports, and
    the inputs themselves under ``options.merge``."""
    scans = [doc.scan for doc in docs]
    inputs = [
        {
            "scan": doc.label,
            "started": doc.scan["started"],
            "finished": doc.scan["finished"],
            "targets": list(doc.scan["targets"]),
            "command": doc.scan.get("command", ""),
            "devices": len(doc.devices),
        }
        for doc in docs
    ]
    return {
        "started": min((s["started"] for s in scans), key=_instant),
        "finished": max((s["finished"] for s in scans), key=_instant),
        "targets": list(dict.fromkeys(t for s in scans for t in s["targets"])),
        "ports": sorted({port for s in scans for port in s.get("ports", [])}),
        "command": "merge",
        "camscan_version": __version__,
        "fingerprints": max((s.get("fingerprints", 0) for s in scans), default=0),
        "options": {"merge": {"inputs": inputs, "same_site": same_site}},
    }


def summarize_objects(devices: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The ``summary`` object of the contract, counted over device objects."""
    verdicts = [device["verdict"] for device in devices]
    flags = [flag for device in devices for flag in device["compliance"]["lists"]]
    risks = [risk for device in devices for risk in device.get("risks") or []]
    return {
        "devices": len(devices),
        "cameras": sum(1 for v in verdicts if v["is_camera"] is True),
        "by_manufacturer": count_names(v["manufacturer"] for v in verdicts),
        "by_brand": count_names(v["brand"] for v in verdicts),
        "covered": count_names(f["id"] for f in flags if f["status"] == "covered"),
        "possibly_covered": count_names(f["id"] for f in flags if f["status"] == "possible"),
        "risks": count_names(r["id"] for r in risks if r["status"] == "affected"),
        "possible_risks": count_names(r["id"] for r in risks if r["status"] == "possible"),
    }


def merge_documents(docs: Sequence[ScanDocument], *, same_site: bool = False) -> dict[str, Any]:
    """One ``camscan/1`` document holding every device of ``docs`` once, in IP order (a
    device seen at two addresses sorts by the one of its chosen sighting)."""
    if not docs:
        raise ValueError("merge_documents needs at least one document")
    devices = [_merged_device(g) for g in group_devices(docs, same_site=same_site)]
    devices.sort(key=lambda device: ip_sort_key(device["ip"]))
    return {
        "schema": SCHEMA,
        "scan": merged_scan(docs, same_site),
        "summary": summarize_objects(devices),
        "devices": devices,
    }
