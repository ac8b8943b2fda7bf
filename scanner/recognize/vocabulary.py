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
#: Short vendor names distinctive enough to count when found inside a free text.
SHORT_NAMES = frozenset(
    {
        "hp",
        "avm",
        "apc",
        "zte",
        "lg",
        "dell",
        "asus",
        "sony",
        "bose",
        "jvc",
        "oki",
        "qnap",
        "hpe",
        "axis",
    }
)


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
    enterprises: Mapping[str, str] = field(default_factory=dict)
    """SNMP private enterprise number -> vendor (fingerprints/enterprises.toml)."""
    lines: Mapping[str, tuple[tuple[re.Pattern[str], str], ...]] = field(default_factory=dict)
    """canonical brand -> (model-code pattern, maker) for brands whose makers differ by line."""
    platform_only: frozenset[str] = frozenset()
    """Chipset and SDK vendors whose name a device's firmware repeats without being theirs
    (a Broadcom reference UPnP description on an Actiontec router): named, never a maker."""

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
            key = "".join(found[:end])
            hit = self.cores.get(key)
            if hit is not None and (end == len(found) or len(key) >= 4 or key in SHORT_NAMES):
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

    def mentioned(self, text: str) -> str | None:
        """The first vendor or product line named anywhere in a short free text.

        A name of four letters or fewer counts only when it is one of SHORT_NAMES and stands
        in capitals ('HP', 'AVM'): short names are often ordinary words or acronyms
        ('Ubuntu 16.04 LTS' does not name LTS Security)."""
        found = orgs.words(text)
        for start in range(len(found)):
            for end in range(min(len(found), start + 3), start, -1):
                key = "".join(found[start:end])
                hit = self.cores.get(key) or self.products.get(key)
                if hit is None or key in orgs.COMMON:
                    continue
                if len(key) > 4 or (key in SHORT_NAMES and _written_as_name(text, key, hit)):
                    return hit
        return None

    def glued(self, text: str) -> str | None:
        """A vendor or product line that starts a host-style name ('shellyplus1pm-a8032a')."""
        first = re.match(r"[A-Za-z]+", text)
        word = first.group(0).casefold() if first else ""
        for end in range(len(word), 4, -1):
            hit = self.cores.get(word[:end]) or self.products.get(word[:end])
            if hit is not None:
                return hit
        return None

    def enterprise(self, number: str) -> str | None:
        """The vendor an SNMP private enterprise number is assigned to (enterprises.toml)."""
        return self.enterprises.get(number)

    def line_maker(self, brand: str, model: str | None) -> str | None:
        """Who builds the product line of `brand` that `model` belongs to (oem.toml [[line]])."""
        if not model:
            return None
        return next((m for rx, m in self.lines.get(brand, ()) if rx.search(model)), None)

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


def _written_as_name(text: str, key: str, vendor: str) -> bool:
    """Whether a short name stands in `text` as a word in capitals ('HP', 'AVM') or spelled as
    the vocabulary spells its vendor ('Sony')."""
    spellings = {key.upper(), vendor} if _fold(vendor) == key else {key.upper()}
    return any(
        re.search(rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])", text) is not None
        for name in spellings
    )


def _load_enterprises(root: Path, vendors: Mapping[str, str]) -> dict[str, str]:
    path = root / "enterprises.toml"
    if not path.exists():
        return {}
    found: dict[str, str] = {}
    for row in read_toml(path).get("enterprise", []):
        if row.get("generic"):
            continue
        vendor = vendors.get(_fold(str(row.get("vendor", ""))))
        if vendor is None:
            raise UsageError(
                f"camscan: {path}: enterprise {row.get('number')} names vendor "
                f"{row.get('vendor')!r}, missing from vocabulary.toml (add it there)"
            )
        found[str(row["number"])] = vendor
    return found


def load_vocabulary(root: Path) -> Vocabulary:
    """Read vocabulary.toml and oem.toml from the fingerprint directory."""
    data = read_toml(root / "vocabulary.toml")
    vendors: dict[str, str] = {}
    groups: dict[str, str] = {}
    cores: dict[str, str] = {}
    kinds: dict[str, str] = {}
    products: dict[str, str] = {}
    platform_only: set[str] = set()
    table = data.get("vendors", {})
    if not isinstance(table, dict):
        raise UsageError(f"camscan: {root / 'vocabulary.toml'}: [vendors] must be a table")
    for canonical, spec in table.items():
        spec = spec if isinstance(spec, dict) else {}
        vendors[_fold(canonical)] = canonical
        for name in (canonical, *(str(a) for a in spec.get("aliases", []))):
            vendors.setdefault(_fold(name), canonical)
            key = orgs.core(name)
            if (len(key) >= 4 and key not in orgs.COMMON) or key == _fold(name):
                # 'AV Tech' must not become 'av', nor 'Server Technology' 'server'
                cores.setdefault(key, canonical)
        groups[canonical] = str(spec.get("group", canonical))
        if spec.get("platform_only"):
            platform_only.add(canonical)
        if "kind" in spec:
            kinds[canonical] = str(spec["kind"])
        for product in spec.get("products", []):
            products.setdefault(orgs.core(str(product)), canonical)
    cores.pop("", None)
    device_types = tuple(str(t) for t in data.get("device_types", ()))
    oem, possible, lines = _load_oem(root, vendors)
    products.pop("", None)
    enterprises = _load_enterprises(root, vendors)
    return Vocabulary(
        vendors,
        groups,
        device_types,
        oem,
        cores,
        kinds,
        possible,
        products,
        enterprises,
        lines,
        frozenset(platform_only),
    )


_Lines = dict[str, tuple[tuple[re.Pattern[str], str], ...]]


def _load_oem(
    root: Path, vendors: Mapping[str, str]
) -> tuple[dict[str, OemRelation], dict[str, tuple[str, ...]], _Lines]:
    path = root / "oem.toml"
    if not path.exists():
        return {}, {}, {}
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
    lines: dict[str, list[tuple[re.Pattern[str], str]]] = {}
    for row in data.get("line", []):
        brand = vendors.get(_fold(str(row.get("brand", ""))))
        maker = vendors.get(_fold(str(row.get("manufacturer", ""))))
        try:
            pattern = re.compile(str(row["model_pattern"]))
        except (KeyError, re.error) as exc:
            raise UsageError(
                f"camscan: {path}: [[line]] row {row.get('brand')!r}: model_pattern missing or "
                f"invalid ({exc}); give a Python regex on the model code"
            ) from exc
        if brand is None or maker is None:
            raise UsageError(
                f"camscan: {path}: [[line]] row {row.get('brand')!r} -> "
                f"{row.get('manufacturer')!r} names a vendor missing from vocabulary.toml"
            )
        lines.setdefault(brand, []).append((pattern, maker))
    return relations, possible, {b: tuple(v) for b, v in lines.items()}


def read_toml(path: Path) -> dict[str, Any]:
    """A data file of fingerprints/ as a table; a UsageError naming the file if it is broken."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"camscan: cannot read {path}: {exc} (fix or restore the file)") from exc
