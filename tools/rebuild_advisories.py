"""Re-check fingerprints/advisories.toml against CISA's Known Exploited Vulnerabilities catalogue.

A maintainer's tool, run by hand when the data's date comes near camscan's 180-day warning.
camscan itself never makes a network call; this script does, once, to fetch the public KEV
JSON (or reads a copy you downloaded).

    python tools/rebuild_advisories.py                 # fetch the catalogue, report, change nothing
    python tools/rebuild_advisories.py --write         # ... and update the file in place
    python tools/rebuild_advisories.py --kev FILE.json # use a downloaded catalogue

What it does:
- every row whose CVE is in the catalogue gets ``kev = true`` and the catalogue's
  ``dateAdded``; a row marked ``kev`` that the catalogue no longer lists is reported;
- the file's ``kev_catalog`` becomes the catalogue's ``catalogVersion`` and its ``date``
  today (with --write);
- KEV entries of the makers camscan names (vocabulary.toml) that have no row yet are listed:
  every entry for the Hikvision and Dahua groups and the brands they build, and for other
  makers the entries about cameras and recorders. A person adds their product lines and
  firmware ranges from the vendor's advisory (the catalogue carries neither).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scanner.recognize.vocabulary import Vocabulary, load_vocabulary  # noqa: E402

KEV_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
DATA = REPO / "fingerprints" / "advisories.toml"
KEV_MAX = 64 * 1024 * 1024
"""Largest catalogue read (the real one is about 1.5 MB)."""
FOCUS_GROUPS = frozenset({"Hikvision", "Dahua"})
CAMERA_WORDS = re.compile(r"camera|\bnvr\b|\bdvr\b|video|surveillance|\bdcs-|\bipc\b", re.I)


@dataclass(frozen=True)
class KevEntry:
    cve: str
    vendor: str
    """The vocabulary name of the catalogue's vendorProject."""
    product: str
    name: str
    added: str


@dataclass(frozen=True)
class Catalogue:
    version: str
    entries: tuple[KevEntry, ...]


class BadCatalogue(ValueError):
    """The JSON is not shaped like CISA's KEV catalogue."""


def parse_catalogue(data: Any, vocabulary: Vocabulary) -> Catalogue:
    """The catalogue's entries for makers in the vocabulary (others are dropped)."""
    if not isinstance(data, dict) or not isinstance(data.get("vulnerabilities"), list):
        raise BadCatalogue("no 'vulnerabilities' list: not a KEV catalogue")
    version = str(data.get("catalogVersion", ""))
    entries = []
    for index, item in enumerate(data["vulnerabilities"]):
        if not isinstance(item, dict):
            raise BadCatalogue(f"vulnerabilities[{index}] is not an object")
        try:
            cve, vendor = str(item["cveID"]), str(item["vendorProject"])
            added = dt.date.fromisoformat(str(item["dateAdded"])).isoformat()
        except (KeyError, ValueError) as exc:
            raise BadCatalogue(f"vulnerabilities[{index}]: {exc}") from None
        maker = vocabulary.canonical(vendor)
        if maker is not None:
            entries.append(KevEntry(cve, maker, str(item.get("product", "")),
                                    str(item.get("vulnerabilityName", "")), added))
    return Catalogue(version, tuple(entries))


def relevant(entry: KevEntry, vocabulary: Vocabulary) -> bool:
    """Every entry of the Hikvision and Dahua groups and their OEM brands; for other makers,
    entries about cameras and recorders."""
    relation = vocabulary.maker_of(entry.vendor)
    groups = {vocabulary.group(entry.vendor)}
    if relation is not None:
        groups.add(vocabulary.group(relation.manufacturer))
    if groups & FOCUS_GROUPS:
        return True
    return bool(CAMERA_WORDS.search(f"{entry.product} {entry.name}"))


_BLOCK = re.compile(r"^\[\[advisory\]\]\n(?:(?!^\[\[(?:advisory|factory_address)\]\]\n).*\n?)*",
                    re.M)


def rows(text: str) -> dict[str, tuple[bool, str | None]]:
    """cve -> (kev, kev_added) of each [[advisory]] block in the file's text."""
    found = {}
    for block in _BLOCK.finditer(text):
        body = block.group(0)
        cve = re.search(r'^cve = "([^"]+)"', body, re.M)
        if cve is None:
            continue
        kev = re.search(r"^kev = (true|false)", body, re.M)
        added = re.search(r'^kev_added = "([^"]+)"', body, re.M)
        found[cve.group(1)] = (bool(kev and kev.group(1) == "true"),
                               added.group(1) if added else None)
    return found


def _set(body: str, key: str, value: str) -> str:
    line = f"{key} = {value}"
    if re.search(rf"^{key} = .*$", body, re.M):
        return re.sub(rf"^{key} = .*$", line, body, count=1, flags=re.M)
    return re.sub(r'^(makers = .*)$', rf"\1\n{line}", body, count=1, flags=re.M)


def updated(text: str, catalogue: Catalogue, today: dt.date) -> str:
    """The file's text with every row's KEV fields and the header taken from ``catalogue``."""
    added = {entry.cve: entry.added for entry in catalogue.entries}

    def block(match: re.Match[str]) -> str:
        body = match.group(0)
        cve = re.search(r'^cve = "([^"]+)"', body, re.M)
        if cve is None or cve.group(1) not in added:
            return body
        body = _set(body, "kev", "true")
        return _set(body, "kev_added", f'"{added[cve.group(1)]}"')

    text = _BLOCK.sub(block, text)
    text = re.sub(r'^date = ".*"$', f'date = "{today.isoformat()}"', text, count=1, flags=re.M)
    return re.sub(r'^kev_catalog = ".*"$', f'kev_catalog = "{catalogue.version}"', text,
                  count=1, flags=re.M)


def report(
    text: str, catalogue: Catalogue, vocabulary: Vocabulary, everything: bool = False
) -> list[str]:
    """One line per difference between the file and the catalogue, and per missing entry;
    the other entries of vocabulary makers are counted per maker (listed with ``everything``)
    since a product named "Multiple Devices" may still be a camera."""
    have = rows(text)
    by_cve = {entry.cve: entry for entry in catalogue.entries}
    lines = []
    for cve, (kev, added) in sorted(have.items()):
        entry = by_cve.get(cve)
        if entry is None and kev:
            lines.append(f"{cve}: marked kev but not in catalogue {catalogue.version}")
        elif entry is not None and (not kev or added != entry.added):
            lines.append(f"{cve}: kev_added {added} -> {entry.added}")
    others: dict[str, int] = {}
    for entry in sorted(catalogue.entries, key=lambda e: (e.added, e.cve)):
        if entry.cve in have:
            continue
        described = f"{entry.vendor} ({entry.product}; {entry.name}; added {entry.added})"
        if relevant(entry, vocabulary):
            lines.append(f"{entry.cve}: new KEV entry for {described}: add its product lines")
        elif everything:
            lines.append(f"{entry.cve}: other KEV entry of {described}")
        else:
            others[entry.vendor] = others.get(entry.vendor, 0) + 1
    if others:
        counts = ", ".join(f"{vendor} {n}" for vendor, n in sorted(others.items()))
        lines.append(f"other KEV entries of vocabulary makers, not about cameras by their "
                     f"words: {counts} (--all lists them)")
    return lines


def fetch(url: str) -> Any:  # pragma: no cover - network, run by a maintainer only
    import requests

    answer = requests.get(url, timeout=60, stream=True)
    answer.raise_for_status()
    body = answer.raw.read(KEV_MAX + 1, decode_content=True)
    if len(body) > KEV_MAX:
        raise BadCatalogue(f"catalogue larger than {KEV_MAX} bytes")
    return json.loads(body)


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kev", help="a downloaded catalogue (default: fetch " + KEV_URL + ")")
    parser.add_argument("--data", default=str(DATA), help="the advisories.toml to check")
    parser.add_argument("--write", action="store_true", help="update the file in place")
    parser.add_argument("--all", action="store_true",
                        help="list every KEV entry of a vocabulary maker without a row")
    args = parser.parse_args(list(argv) if argv is not None else None)
    data_path = Path(args.data)
    words = load_vocabulary(data_path.parent)
    raw = json.loads(Path(args.kev).read_text(encoding="utf-8")) if args.kev else fetch(KEV_URL)
    catalogue = parse_catalogue(raw, words)
    text = data_path.read_text(encoding="utf-8")
    for line in report(text, catalogue, words, everything=args.all):
        print(line)
    if args.write:
        data_path.write_text(updated(text, catalogue, dt.date.today()), encoding="utf-8")
        print(f"wrote {data_path} (catalogue {catalogue.version})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
