"""Which regulatory lists cover a device (fingerprints/compliance.toml), and on what evidence.

A flag follows the manufacturer (the platform maker), so a Lorex unit built on Dahua firmware
is flagged as Dahua equipment. It never rests on one weak signal: a device whose only support
is an OUI, a label seen once, or anything under STRONG is "possible", not "covered".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from scanner.model import Compliance, Evidence, ListFlag, Verdict
from scanner.recognize.vocabulary import Vocabulary, read_toml

#: One piece of direct evidence at least this strong makes a flag "covered".
STRONG = 0.6
#: Or this many independent pieces (distinct fingerprints, OUIs excluded).
CORROBORATED = 2


@dataclass(frozen=True, slots=True)
class RegulatoryList:
    id: str
    name: str
    entities: frozenset[str]
    source: str


def load_lists(root: Path) -> tuple[RegulatoryList, ...]:
    path = root / "compliance.toml"
    if not path.exists():
        return ()
    rows = read_toml(path).get("list", [])
    return tuple(
        RegulatoryList(str(r["id"]), str(r["name"]), frozenset(r["entities"]), str(r["source"]))
        for r in rows
    )


def _support(verdict: Verdict, vocabulary: Vocabulary) -> list[tuple[Evidence, float]]:
    """Evidence for the verdict's maker, with its effective weight; OUIs are not counted."""
    maker = verdict.manufacturer
    found = []
    for item in verdict.evidence:
        if item.fingerprint.startswith("oui/") or item.asserts.get("generic") is True:
            continue
        said = item.asserts.get("manufacturer")
        brand = item.asserts.get("brand")
        if said == maker:
            found.append((item, item.weight))
        elif isinstance(brand, str) and said is None:
            relation = vocabulary.maker_of(brand)
            if relation is not None and relation.manufacturer == maker:
                found.append((item, item.weight * relation.weight))
    return found


def assess(
    verdict: Verdict, vocabulary: Vocabulary, lists: Sequence[RegulatoryList]
) -> Compliance:
    """The compliance block for one verdict."""
    maker = verdict.manufacturer
    if maker is None:
        return Compliance.unknown()
    entity = vocabulary.group(maker)
    covering = [item for item in lists if entity in item.entities]
    if not covering:
        return _label_only(verdict, vocabulary, lists) or Compliance(
            "not-covered", (), f"{maker} is on none of the lists camscan checks"
        )
    support = _support(verdict, vocabulary)
    strong = [e for e, w in support if w >= STRONG]
    firm = bool(strong) or len({e.fingerprint for e, _ in support}) >= CORROBORATED
    state: Literal["covered", "possible"] = "covered" if firm else "possible"
    basis_items = strong or [e for e, _ in support] or list(verdict.evidence)
    basis = ", ".join(_describe(e) for e in basis_items[:3]) or "no direct evidence"
    flags = tuple(ListFlag(item.id, item.name, state, entity, item.source) for item in covering)
    prefix = f"{entity} equipment" if firm else f"possibly {entity} equipment (weak evidence only)"
    return Compliance(state, flags, f"{prefix}: {basis}")


def _label_only(
    verdict: Verdict, vocabulary: Vocabulary, lists: Sequence[RegulatoryList]
) -> Compliance | None:
    """'possible' for a label whose product lines are built by listed makers (oem.toml
    [[possible]]: Honeywell), when nothing but the label names the maker."""
    label = verdict.brand or verdict.manufacturer
    makers = vocabulary.possible.get(label or "", ())
    if not makers or verdict.manufacturer != label or verdict.is_camera is False:
        return None  # a Panasonic TV or a Honeywell thermostat is not video surveillance
    entities = {vocabulary.group(m) for m in makers}
    flags = tuple(
        ListFlag(item.id, item.name, "possible", entity, item.source)
        for item in lists
        for entity in sorted(entities & set(item.entities))
    )
    if not flags:
        return None
    names = " and ".join(sorted(entities))
    return Compliance(
        "possible",
        flags,
        f"possibly {names} equipment: {label} sells lines built by {names} "
        "(fingerprints/oem.toml) and only the label was seen",
    )


def _describe(item: Evidence) -> str:
    value = " ".join(item.observation.value.split())
    value = value if len(value) <= 40 else value[:37] + "..."
    return f"{item.observation.field} '{value}'"
