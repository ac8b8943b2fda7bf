"""Load the fingerprint database (fingerprints/*.toml) and match observations against it.

The format is documented in fingerprints/README.md. Loading validates everything a data
author can get wrong (unknown field, bad regex, vendor not in the vocabulary, duplicate id),
so a broken --fingerprints directory is a one-line usage error, not a crash mid-scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from scanner.errors import UsageError
from scanner.model import ASSERTABLE, DECLARED_FIELDS, DEVICE_TYPES, Evidence, Observation
from scanner.protocols.registry import FIELDS, table_of
from scanner.recognize.vocabulary import Vocabulary, load_vocabulary, read_toml

AssertValue = str | bool
_FLAGS = {"i": re.IGNORECASE, "s": re.DOTALL, "m": re.MULTILINE}
_VENDOR_FIELDS = ("manufacturer", "brand")
_DATA_FILES = frozenset(
    {
        "vocabulary.toml",
        "oem.toml",
        "ouis.toml",
        "compliance.toml",
        "declared.toml",
        "enterprises.toml",
        "advisories.toml",
    }
)


class FingerprintError(UsageError):
    """A fingerprint file is malformed; the message names the file, the entry and the fix."""


@dataclass(frozen=True, slots=True)
class Example:
    """A value a real device sent, and what the entry must extract from it."""

    value: str
    source: str
    expect: Mapping[str, AssertValue]


@dataclass(frozen=True, slots=True)
class Fingerprint:
    id: str
    field: str
    description: str
    regex: re.Pattern[str]
    key: str | None
    weight: float
    asserts: Mapping[str, AssertValue]
    examples: tuple[Example, ...]

    def match(self, text: str) -> dict[str, AssertValue] | None:
        """What this entry asserts about `text`, or None when it does not match."""
        found = self.regex.search(text)
        if found is None:
            return None
        result: dict[str, AssertValue] = dict(self.asserts)
        for name, value in found.groupdict().items():
            if value:
                result[name] = value.strip()
        return result


@dataclass(frozen=True, slots=True)
class Database:
    """All fingerprints, grouped by field and, within a field, by key (file order kept)."""

    by_field: Mapping[str, tuple[Fingerprint, ...]]
    vocabulary: Vocabulary
    root: Path

    def __len__(self) -> int:
        return sum(len(entries) for entries in self.by_field.values())

    def all(self) -> Iterable[Fingerprint]:
        for entries in self.by_field.values():
            yield from entries

    def match(self, observation: Observation) -> list[Evidence]:
        """Evidence from one observation: per key, the first entry that matches wins."""
        entries = self.by_field.get(observation.field, ())
        if not entries:
            return []
        table = _table_for(observation)
        evidence: list[Evidence] = []
        decided: set[str | None] = set()
        for entry in entries:
            if entry.key in decided:
                continue
            text = observation.value if entry.key is None else table.get(entry.key)
            if text is None:
                continue
            asserted = entry.match(text)
            if asserted is None:
                continue
            decided.add(entry.key)
            asserted = self.vocabulary.normalise_asserts(asserted)
            evidence.append(
                Evidence(entry.id, observation, asserted, entry.weight, entry.description)
            )
        return evidence


def _table_for(observation: Observation) -> Mapping[str, str]:
    return table_of(observation.field, observation.value) or {}


def default_root() -> Path:
    """The fingerprints shipped with camscan (the package scanner.fingerprints).

    Run from a source checkout without installing, the package mapping does not exist and
    the repository's fingerprints/ directory is used instead."""
    try:
        return Path(str(resources.files("scanner.fingerprints")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "fingerprints"


def load_database(root: Path | None = None) -> Database:
    """Read every <field>.toml under `root`; raise FingerprintError on any malformed entry."""
    root = root or default_root()
    if not root.is_dir():
        raise FingerprintError(
            f"camscan: fingerprint directory '{root}' does not exist "
            "(give --fingerprints a directory of *.toml files)"
        )
    vocabulary = load_vocabulary(root)
    by_field: dict[str, list[Fingerprint]] = {}
    seen: set[str] = set()
    for path in sorted(root.glob("*.toml")):
        if path.name in _DATA_FILES:
            continue
        for entry in _load_file(path, vocabulary):
            if entry.id in seen:
                raise _error(path, entry.id, "duplicate id (ids are unique across files)")
            seen.add(entry.id)
            by_field.setdefault(entry.field, []).append(entry)
    return Database({f: tuple(v) for f, v in by_field.items()}, vocabulary, root)


def _load_file(path: Path, vocabulary: Vocabulary) -> list[Fingerprint]:
    data = read_toml(path)
    field = data.get("field", path.stem)
    if (field not in FIELDS and field not in DECLARED_FIELDS) or field != path.stem:
        raise FingerprintError(
            f"camscan: {path}: field '{field}' is not an observation field named like the file "
            "(see fingerprints/README.md)"
        )
    raw_entries = data.get("fingerprint", [])
    if not isinstance(raw_entries, list):
        raise FingerprintError(f"camscan: {path}: [[fingerprint]] must be an array of tables")
    return [_entry(path, str(field), raw, vocabulary) for raw in raw_entries]


def _entry(path: Path, field: str, raw: object, vocabulary: Vocabulary) -> Fingerprint:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise FingerprintError(f"camscan: {path}: every [[fingerprint]] needs a string id")
    ident: str = raw["id"]
    flags = 0
    for letter in str(raw.get("flags", "")):
        if letter not in _FLAGS:
            raise _error(path, ident, f"unknown flag '{letter}' (use i, s or m)")
        flags |= _FLAGS[letter]
    try:
        regex = re.compile(str(raw["pattern"]), flags)
    except (KeyError, re.error) as exc:
        raise _error(path, ident, f"pattern missing or invalid: {exc}") from exc
    weight = raw.get("weight", 0.5)
    if not isinstance(weight, int | float) or not 0 <= weight <= 1:
        raise _error(path, ident, "weight must be a number from 0 to 1")
    asserts = _asserts(path, ident, raw.get("asserts", {}), vocabulary)
    for group in regex.groupindex:
        if group not in ASSERTABLE:
            raise _error(path, ident, f"named group '{group}' is not one of {ASSERTABLE}")
    examples = _examples(path, ident, raw.get("examples", []))
    key = raw.get("key")
    return Fingerprint(
        ident,
        field,
        str(raw.get("description", "")),
        regex,
        str(key) if key is not None else None,
        float(weight),
        asserts,
        examples,
    )


def _asserts(path: Path, ident: str, raw: object, vocab: Vocabulary) -> dict[str, AssertValue]:
    if not isinstance(raw, dict):
        raise _error(path, ident, "asserts must be a table")
    for name, value in raw.items():
        if name not in ASSERTABLE:
            raise _error(path, ident, f"cannot assert '{name}' (allowed: {ASSERTABLE})")
        if name in _VENDOR_FIELDS and vocab.canonical(str(value)) != value:
            raise _error(path, ident, f"vendor '{value}' is not spelled as in vocabulary.toml")
        if name == "device_type" and value not in DEVICE_TYPES:
            raise _error(path, ident, f"device_type must be one of {DEVICE_TYPES}")
        if name in ("is_camera", "generic") and not isinstance(value, bool):
            raise _error(path, ident, f"{name} must be true or false")
    return dict(raw)


def _examples(path: Path, ident: str, raw: object) -> tuple[Example, ...]:
    if not isinstance(raw, list) or not raw:
        raise _error(path, ident, "needs at least one real example ([[fingerprint.examples]])")
    examples = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            raise _error(path, ident, "each example needs a string value")
        if not str(item.get("source", "")).strip():
            raise _error(path, ident, "each example needs a source (where a device sent it)")
        expect = {k: v for k, v in item.items() if k not in ("value", "source", "note")}
        examples.append(Example(item["value"], str(item["source"]), expect))
    return tuple(examples)


def _error(path: Path, ident: str, problem: str) -> FingerprintError:
    return FingerprintError(f"camscan: {path.name}: fingerprint '{ident}': {problem}")
