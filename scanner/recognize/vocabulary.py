"""The one spelling of every vendor (fingerprints/vocabulary.toml) and the OEM table (oem.toml).

Devices spell their makers many ways ("HIKVISION", "Hangzhou Hikvision Digital Technology
Co.,Ltd.", "hikvision"); evidence is compared only after it is mapped to one canonical name.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.errors import UsageError

_CONFIDENCE = {"high": 0.9, "medium": 0.6, "low": 0.3}


def _fold(name: str) -> str:
    """Compare names ignoring case, punctuation and spacing ("CP_PLUS" == "CP PLUS")."""
    return re.sub(r"[^0-9a-z]+", "", name.casefold())


@dataclass(frozen=True, slots=True)
class OemRelation:
    """A brand whose devices another company builds (Lorex -> Dahua)."""

    brand: str
    manufacturer: str
    confidence: str
    evidence: str
    source: str

    @property
    def weight(self) -> float:
        """How far the relation can be trusted, as a factor on the brand evidence."""
        return _CONFIDENCE.get(self.confidence, 0.3)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    vendors: Mapping[str, str]
    """folded alias (and canonical name) -> canonical name."""
    groups: Mapping[str, str]
    """canonical name -> corporate group (Hikvision, Dahua, or the vendor itself)."""
    device_types: tuple[str, ...]
    oem: Mapping[str, OemRelation]
    """canonical brand -> the relation naming who builds it."""

    def canonical(self, name: str) -> str | None:
        """The vocabulary spelling of `name`, or None when camscan does not know it."""
        return self.vendors.get(_fold(name))

    def group(self, name: str) -> str:
        return self.groups.get(name, name)

    def maker_of(self, brand: str) -> OemRelation | None:
        return self.oem.get(brand)

    def normalise_asserts(self, asserts: dict[str, str | bool]) -> dict[str, str | bool]:
        """Map vendor names captured from a device's answer to their canonical spelling."""
        for name in ("manufacturer", "brand"):
            value = asserts.get(name)
            if isinstance(value, str):
                asserts[name] = self.canonical(value) or value.strip()[:64]
        return asserts


def load_vocabulary(root: Path) -> Vocabulary:
    """Read vocabulary.toml and oem.toml from the fingerprint directory."""
    data = read_toml(root / "vocabulary.toml")
    vendors: dict[str, str] = {}
    groups: dict[str, str] = {}
    table = data.get("vendors", {})
    if not isinstance(table, dict):
        raise UsageError(f"camscan: {root / 'vocabulary.toml'}: [vendors] must be a table")
    for canonical, spec in table.items():
        spec = spec if isinstance(spec, dict) else {}
        vendors[_fold(canonical)] = canonical
        for alias in spec.get("aliases", []):
            vendors.setdefault(_fold(str(alias)), canonical)
        groups[canonical] = str(spec.get("group", canonical))
    device_types = tuple(str(t) for t in data.get("device_types", ()))
    return Vocabulary(vendors, groups, device_types, _load_oem(root, vendors))


def _load_oem(root: Path, vendors: Mapping[str, str]) -> dict[str, OemRelation]:
    path = root / "oem.toml"
    if not path.exists():
        return {}
    relations: dict[str, OemRelation] = {}
    for row in read_toml(path).get("oem", []):
        brand = vendors.get(_fold(str(row.get("brand", ""))))
        maker = vendors.get(_fold(str(row.get("manufacturer", ""))))
        if brand is None or maker is None:
            raise UsageError(
                f"camscan: {path}: OEM row {row.get('brand')!r} -> {row.get('manufacturer')!r} "
                "names a vendor missing from vocabulary.toml (add it there)"
            )
        relations[brand] = OemRelation(
            brand,
            maker,
            str(row.get("confidence", "low")),
            str(row.get("evidence", "")),
            str(row.get("source", "")),
        )
    return relations


def read_toml(path: Path) -> dict[str, Any]:
    """A data file of fingerprints/ as a table; a UsageError naming the file if it is broken."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"camscan: cannot read {path}: {exc} (fix or restore the file)") from exc
