"""``camscan diff``: what changed on a network between two scans.

Devices are paired by MAC first, then by serial (``verdict.serial``), then by IP address. A
serial pairs two devices only when their MACs do not disagree, and an address only when neither
their MACs nor their serials disagree: a new camera that took an old one's DHCP lease is the old
one vanished and a new one appeared, not a change of model.

The JSON form (``"schema": "camscan-diff/1"``) is described by
``scanner/schema/camscan-diff-1.schema.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from scanner.audit.document import DeviceRecord, ScanDocument
from scanner.output.contract import ip_sort_key

_T = TypeVar("_T")

DIFF_SCHEMA = "camscan-diff/1"

COMPARED: tuple[str, ...] = ("manufacturer", "brand", "model", "firmware")
"""Verdict fields whose change is reported; so is ``compliance`` (its status: covered,
possible, not-covered, unknown) when both documents carry compliance blocks."""

MatchKey = Literal["mac", "serial", "ip"]
MATCH_ORDER: tuple[MatchKey, ...] = ("mac", "serial", "ip")


@dataclass(frozen=True, slots=True)
class Pair:
    """The same device in the old and the new scan."""

    old: DeviceRecord
    new: DeviceRecord
    matched_by: MatchKey


@dataclass(frozen=True, slots=True)
class Change:
    """A paired device whose verdict differs: field -> (old value, new value)."""

    ip: str
    """Its address in the new scan."""
    mac: str | None
    changes: dict[str, tuple[Any, Any]]


@dataclass(frozen=True, slots=True)
class Move:
    """A device found again (by MAC or serial) at another address."""

    old_ip: str
    new_ip: str
    mac: str | None
    serial: str | None
    matched_by: MatchKey


@dataclass(frozen=True, slots=True)
class Diff:
    old: ScanDocument
    new: ScanDocument
    appeared: tuple[DeviceRecord, ...]
    vanished: tuple[DeviceRecord, ...]
    changed: tuple[Change, ...]
    moved: tuple[Move, ...]
    unchanged: int
    """Paired devices that neither moved nor changed."""

    @property
    def same(self) -> bool:
        """True when the two scans show the same devices, identified the same way."""
        return not (self.appeared or self.vanished or self.changed or self.moved)


def conflicts(a: DeviceRecord, b: DeviceRecord, keys: Sequence[str]) -> bool:
    """True when both devices know one of ``keys`` (``mac``, ``serial``) and they differ."""
    for key in keys:
        left, right = getattr(a, key), getattr(b, key)
        if left is not None and right is not None and left != right:
            return True
    return False


_GUARDS: dict[MatchKey, tuple[str, ...]] = {"mac": (), "serial": ("mac",), "ip": ("mac", "serial")}


def match_devices(
    old: Sequence[DeviceRecord], new: Sequence[DeviceRecord]
) -> tuple[list[Pair], list[DeviceRecord], list[DeviceRecord]]:
    """Pair old with new devices; return the pairs, the unpaired old and the unpaired new.

    Each pass (MAC, serial, IP) pairs what is left, in document order, so a key that occurs
    twice in one document (a bogus shared serial) pairs at most once."""
    pairs: list[Pair] = []
    taken_old: set[int] = set()
    taken_new: set[int] = set()
    for key in MATCH_ORDER:
        index: dict[str, list[int]] = {}
        for j, device in enumerate(new):
            value = getattr(device, key)
            if value is not None and j not in taken_new:
                index.setdefault(value, []).append(j)
        for i, device in enumerate(old):
            value = getattr(device, key)
            if value is None or i in taken_old:
                continue
            match = next(
                (
                    j
                    for j in index.get(value, ())
                    if j not in taken_new and not conflicts(device, new[j], _GUARDS[key])
                ),
                None,
            )
            if match is not None:
                taken_old.add(i)
                taken_new.add(match)
                pairs.append(Pair(device, new[match], key))
    left_old = [device for i, device in enumerate(old) if i not in taken_old]
    left_new = [device for j, device in enumerate(new) if j not in taken_new]
    return pairs, left_old, left_new


def diff_documents(old: ScanDocument, new: ScanDocument) -> Diff:
    """Compare two scans (see the module docstring for how devices are paired)."""
    pairs, vanished, appeared = match_devices(old.devices, new.devices)
    changed: list[Change] = []
    moved: list[Move] = []
    for pair in pairs:
        changes = _changes(pair)
        if changes:
            changed.append(Change(pair.new.ip, pair.new.mac or pair.old.mac, changes))
        if pair.old.ip != pair.new.ip:
            mac, serial = pair.new.mac or pair.old.mac, pair.new.serial or pair.old.serial
            moved.append(Move(pair.old.ip, pair.new.ip, mac, serial, pair.matched_by))
    unchanged = sum(1 for p in pairs if p.old.ip == p.new.ip and not _changes(p))
    return Diff(
        old,
        new,
        appeared=tuple(_by_ip(appeared, lambda d: d.ip)),
        vanished=tuple(_by_ip(vanished, lambda d: d.ip)),
        changed=tuple(_by_ip(changed, lambda c: c.ip)),
        moved=tuple(_by_ip(moved, lambda m: m.old_ip)),
        unchanged=unchanged,
    )


def _changes(pair: Pair) -> dict[str, tuple[Any, Any]]:
    before, after = pair.old, pair.new
    changes = {
        name: (before.verdict(name), after.verdict(name))
        for name in COMPARED
        if before.verdict(name) != after.verdict(name)
    }
    old_flag, new_flag = before.compliance_status, after.compliance_status
    if old_flag is not None and new_flag is not None and old_flag != new_flag:
        changes["compliance"] = (old_flag, new_flag)
    return changes


def _by_ip(items: Sequence[_T], ip: Callable[[_T], str]) -> list[_T]:
    return sorted(items, key=lambda item: ip_sort_key(ip(item)))


def _side(doc: ScanDocument) -> dict[str, Any]:
    scan = doc.scan
    return {
        "file": doc.label,
        "started": scan["started"],
        "finished": scan["finished"],
        "targets": list(scan["targets"]),
        "command": scan.get("command", ""),
        "devices": len(doc.devices),
    }


def diff_to_dict(diff: Diff) -> dict[str, Any]:
    """The ``camscan-diff/1`` object: appeared and vanished devices are whole device objects
    of the ``camscan/1`` contract; a change lists ``field: [old, new]``."""
    return {
        "schema": DIFF_SCHEMA,
        "old": _side(diff.old),
        "new": _side(diff.new),
        "summary": {
            "appeared": len(diff.appeared),
            "vanished": len(diff.vanished),
            "changed": len(diff.changed),
            "moved": len(diff.moved),
            "unchanged": diff.unchanged,
        },
        "appeared": [dict(device.data) for device in diff.appeared],
        "vanished": [dict(device.data) for device in diff.vanished],
        "changed": [
            {"ip": c.ip, "mac": c.mac, "changes": {k: list(v) for k, v in c.changes.items()}}
            for c in diff.changed
        ],
        "moved": [
            {
                "from": m.old_ip,
                "to": m.new_ip,
                "mac": m.mac,
                "serial": m.serial,
                "matched_by": m.matched_by,
            }
            for m in diff.moved
        ],
    }
