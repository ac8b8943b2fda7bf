"""Self-declared identity: what a device says of itself, read wherever it says it.

fingerprints/declared.toml lists the places (a key of a structured answer, or a whole text
answer) where devices write their vendor, model, firmware, serial or kind. This module reads
them, so a maker no fingerprint lists is still named from its own word:

- a vendor becomes Evidence for the *brand* (the label is what a device can state; the maker
  follows through oem.toml, or is the vendor itself where it is nobody's relabel);
- models, firmware, serials and kinds become derived observations (``declared.model`` ...),
  matched against the platform grammars in ``declared.*.toml`` and filling the verdict.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import UsageError
from scanner.model import Evidence, Observation
from scanner.recognize import orgs
from scanner.recognize.vocabulary import Vocabulary, read_toml

OuiVendor = Callable[[str], str | None]
ROLES = ("vendor", "model", "firmware", "serial", "type")
#: Reads of a vendor key: a name there counts even when only the IEEE registry, or nobody,
#: knows it.
_VENDOR_KEY_READS = ("value", "url")
#: Reads whose vendor counts only when the vocabulary knows the name (free text).
_FREE_TEXT = frozenset(
    (
        "tokens", "lead", "mention", "rdn-O", "rdn-CN", "instance", "sdp-session",
        "enterprise", "realm-mac", "realm",
    )
)  # fmt: skip
READS = (*_VENDOR_KEY_READS, *sorted(_FREE_TEXT), "service")
#: Reads whose text is searched for a vendor named anywhere in it, not only at its start.
_ANYWHERE = frozenset({"mention", "sdp-session", "realm"})
#: Longest free text searched for a vendor named anywhere in it.
MENTION_MAX = 300
#: A declared value longer than this is not an identity (a page, a sentence).
VALUE_MAX = 128
#: Words of a free text tried as a vendor name ("Brother NC-8300w, Firmware ...").
_LEAD_WORDS = 3
#: Weight factors for a vendor key's name known only to the IEEE registry, or to nobody.
REGISTRY_FACTOR = 0.8
UNKNOWN_FACTOR = 0.6


@dataclass(frozen=True, slots=True)
class Source:
    """One place an answer states a fact about the device."""

    field: str
    key: str | None
    role: str
    read: str
    weight: float
    placeholders: frozenset[str] = frozenset()
    """Folded values that fill a vendor key but name nobody (declared.toml ``placeholders``)."""


def load_sources(root: Path) -> tuple[Source, ...]:
    path = root / "declared.toml"
    if not path.exists():
        return ()
    data = read_toml(path)
    placeholders = data.get("placeholders", [])
    if not isinstance(placeholders, list) or not all(isinstance(p, str) for p in placeholders):
        raise UsageError(
            f"camscan: {path}: placeholders must be a list of strings (see fingerprints/README.md)"
        )
    folded = frozenset(placeholders)
    sources = []
    for row in data.get("source", []):
        role, read = str(row.get("role", "")), str(row.get("read", "value"))
        weight = row.get("weight", 0.0)
        if role not in ROLES or read not in READS or not isinstance(weight, int | float):
            raise UsageError(
                f"camscan: {path}: source {row!r}: role must be one of {ROLES}, read one of "
                f"{READS}, weight a number (see fingerprints/README.md)"
            )
        key = row.get("key")
        sources.append(
            Source(
                str(row["field"]), str(key) if key else None, role, read, float(weight), folded
            )
        )
    return tuple(sources)


def read(source: Source, table: Mapping[str, str] | None, raw: str) -> list[str]:
    """The texts `source` finds in one observation (its raw value and parsed key table)."""
    if source.key is not None:
        text = (table or {}).get(source.key)
        if text is None:
            return []
    else:
        text = raw
    text = " ".join(text.split())
    if not text:
        return []
    match source.read:
        case "value":
            return [text[:VALUE_MAX]] if len(text) <= VALUE_MAX * 2 else []
        case "url":
            return [text[:VALUE_MAX]]
        case "tokens":
            return _product_names(text)
        case "lead":
            return [" ".join(text.split()[:_LEAD_WORDS])]
        case "mention":
            return [text[:MENTION_MAX]]
        case "sdp-session":  # the session name and information lines of an SDP body
            return [m.strip()[:MENTION_MAX] for m in re.findall(r"(?m)^[si]=(.+)$", raw[:4096])]
        case "realm":  # the realm of a challenge, searched like `mention`
            found = re.search(r'realm=\s*"([^"]{2,80})"', text)
            return [found.group(1)] if found else []
        case "realm-mac":  # a realm that is a bare MAC address: its OUI names the vendor
            found = re.search(r'realm=\s*"([0-9A-Fa-f]{12})"', text)
            return [found.group(1).lower()] if found else []
        case "enterprise":  # SNMP sysObjectID: 1.3.6.1.4.1.<private enterprise number>...
            found = re.search(r"(?:1\.3\.6\.1\.4\.1|enterprises)\.(\d{1,10})", text)
            return [found.group(1)] if found else []
        case "rdn-O" | "rdn-CN":
            return _rdn(text, source.read[4:])
        case "instance":
            return [text.split("._", 1)[0][:VALUE_MAX]]
        case "service":
            found = re.search(r"\._[\w-]+\._(?:tcp|udp)\b", text)
            return [found.group(0)[1:]] if found else []
    return []


def _known(how: str, text: str, vocabulary: Vocabulary, oui: OuiVendor) -> str | None:
    """The vocabulary vendor `text` names, read the way the source says."""
    if how == "realm-mac":
        return oui(":".join(text[i : i + 2] for i in range(0, 12, 2)))
    if how == "enterprise":
        return vocabulary.enterprise(text)
    if how in _ANYWHERE:
        return vocabulary.mentioned(text)
    name = vocabulary.canonical(text) or vocabulary.product_vendor(text)
    if name is None and how in ("instance", "lead", "tokens", "rdn-O"):
        name = vocabulary.glued(text)  # names glued to the maker: shellyplug-s-ab12, RicohPrinter
    return name


def _product_names(header: str) -> list[str]:
    """'Linux/3.14 UPnP/1.0 Sonos/70.3-35220' -> ['Linux', 'UPnP', 'Sonos']."""
    names: list[str] = []
    for token in re.split(r"[\s,;()]+", header[:512]):
        name = token.split("/", 1)[0].strip("[]\"'")
        if name and len(names) < 12:
            names.append(name)
    return names


def _rdn(name: str, attribute: str) -> list[str]:
    found = re.search(rf"(?:^|,)\s*{attribute}=((?:\\,|[^,])+)", name)
    return [found.group(1).replace("\\,", ",").strip()] if found else []


def observations(
    obs: Observation, table: Mapping[str, str] | None, sources: Iterable[Source]
) -> list[Observation]:
    """Derived ``declared.<role>`` observations (vendors excluded) from one observation."""
    found = []
    for source in sources:
        if source.field != obs.field or source.role == "vendor":
            continue
        for text in read(source, table, obs.value):
            found.append(
                Observation(obs.host, obs.port, obs.probe, f"declared.{source.role}", text)
            )
    return found


def vendor_evidence(
    obs: Observation,
    table: Mapping[str, str] | None,
    sources: Iterable[Source],
    vocabulary: Vocabulary,
    registry: Callable[[], frozenset[str]],
    oui: OuiVendor,
) -> list[Evidence]:
    """Evidence for the brand each vendor source of `obs` names.

    `oui` maps a MAC address to the vocabulary vendor its OUI is registered to."""
    evidence = []
    for source in sources:
        if source.field != obs.field or source.role != "vendor":
            continue
        for text in read(source, table, obs.value):
            item = _vendor(obs, source, text, vocabulary, registry, oui)
            if item is not None:
                evidence.append(item)
    return evidence


def _vendor(
    obs: Observation,
    source: Source,
    text: str,
    vocabulary: Vocabulary,
    registry: Callable[[], frozenset[str]],
    oui: OuiVendor,
) -> Evidence | None:
    key = orgs.core(text)
    if key in source.placeholders or len(key) < 2:
        return None
    name = _known(source.read, text, vocabulary, oui)
    weight = source.weight
    said = text if len(text) <= 32 else text[:29] + "..."
    where = f"{obs.field} {source.key or source.read} '{said}'"
    if name is None:
        if source.read in _FREE_TEXT:
            return None
        weight *= REGISTRY_FACTOR if key in registry() else UNKNOWN_FACTOR
        name = orgs.display(text)
        described = f"{where} (not in camscan's vocabulary)"
    elif name in vocabulary.platform_only:
        return Evidence(
            f"declared.vendor/{obs.field}/platform/{orgs.core(name)}",
            obs,
            {"generic": True},
            0.0,
            f"{where}: {name} is a chipset/SDK vendor (names no maker)",
        )
    else:
        described = where
    return Evidence(
        f"declared.vendor/{obs.field}/{source.key or source.read}/{orgs.core(name)}",
        obs,
        {"brand": name},
        round(weight, 3),
        described,
    )
