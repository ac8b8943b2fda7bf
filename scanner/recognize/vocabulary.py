"""The one spelling of every vendor (fingerprints/vocabulary.toml) and the OEM table (oem.toml).

Devices spell their makers many ways ("HIKVISION", "Hangzhou Hikvision Digital Technology
Co.,Ltd.", "hikvision"); evidence is compared only after it is mapped to one canonical name.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.errors import UsageError
from scanner.recognize import orgs

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
    cores: Mapping[str, str] = field(default_factory=dict)
    """organisation core (orgs.core of every alias) -> canonical name."""
    kinds: Mapping[str, str] = field(default_factory=dict)
    """canonical name -> the one kind of device the vendor makes, where it makes one kind."""
    possible: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """canonical brand -> makers whose lines the brand resells (no single OEM row)."""
    products: Mapping[str, str] = field(default_factory=dict)
    """core of a product line name a device writes (DiskStation, LaserJet) -> its vendor."""

    def canonical(self, name: str) -> str | None:
        """The vocabulary spelling of `name`, or None when camscan does not know it.

        Exact aliases first; then the organisation core of the name ('Hangzhou Hikvision
        Digital Technology Co.,Ltd.' -> 'hikvision'), dropping trailing words one at a time
        ('Konica Minolta Business Solutions' -> 'konica minolta').
        """
        exact = self.vendors.get(_fold(name))
        if exact is not None:
            return exact
        found = orgs.words(name)
        for end in range(len(found), 0, -1):
            hit = self.cores.get("".join(found[:end]))
            if hit is not None:
                return hit
        return None

    def product_vendor(self, text: str) -> str | None:
        """The vendor of a product line named in the first words of `text`, if known."""
        found = orgs.words(text)
        for end in range(min(len(found), 3), 0, -1):
            hit = self.products.get("".join(found[:end]))
            if hit is not None:
                return hit
        return None

    def kind_of(self, vendor: str) -> str | None:
        return self.kinds.get(vendor)

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
    cores: dict[str, str] = {}
    kinds: dict[str, str] = {}
    products: dict[str, str] = {}
    table = data.get("vendors", {})
    if not isinstance(table, dict):
        raise UsageError(f"camscan: {root / 'vocabulary.toml'}: [vendors] must be a table")
    for canonical, spec in table.items():
        spec = spec if isinstance(spec, dict) else {}
        vendors[_fold(canonical)] = canonical
        cores.setdefault(orgs.core(canonical), canonical)
        for alias in spec.get("aliases", []):
            vendors.setdefault(_fold(str(alias)), canonical)
            cores.setdefault(orgs.core(str(alias)), canonical)
        groups[canonical] = str(spec.get("group", canonical))
        if "kind" in spec:
            kinds[canonical] = str(spec["kind"])
        for product in spec.get("products", []):
            products.setdefault(orgs.core(str(product)), canonical)
    cores.pop("", None)
    device_types = tuple(str(t) for t in data.get("device_types", ()))
    oem, possible = _load_oem(root, vendors)
    products.pop("", None)
    return Vocabulary(vendors, groups, device_types, oem, cores, kinds, possible, products)


def _load_oem(
    root: Path, vendors: Mapping[str, str]
) -> tuple[dict[str, OemRelation], dict[str, tuple[str, ...]]]:
    path = root / "oem.toml"
    if not path.exists():
        return {}, {}
    relations: dict[str, OemRelation] = {}
    data = read_toml(path)
    possible: dict[str, tuple[str, ...]] = {}
    for row in data.get("possible", []):
        names = [str(row.get("brand", "")), *(str(m) for m in row.get("manufacturers", []))]
        known = [vendors.get(_fold(n)) for n in names]
        if any(k is None for k in known) or len(known) < 2:
            raise UsageError(
                f"camscan: {path}: [[possible]] row {row.get('brand')!r} names a vendor missing "
                "from vocabulary.toml, or no manufacturers (add them)"
            )
        possible[str(known[0])] = tuple(str(k) for k in known[1:])
    for row in data.get("oem", []):
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
    return relations, possible


def read_toml(path: Path) -> dict[str, Any]:
    """A data file of fingerprints/ as a table; a UsageError naming the file if it is broken."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"camscan: cannot read {path}: {exc} (fix or restore the file)") from exc
