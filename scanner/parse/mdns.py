"""DNS-SD TXT records (mDNS): ``key=value`` strings.

RFC 6763 §6: a TXT record is a list of strings, each ``key=value`` (or a bare ``key``);
keys are case-insensitive and only the first occurrence of a key counts (§6.4). The
``mdns.txt`` observation renders the list as space-separated pairs (``vendor=Synology
model=DS218+``); since values may hold spaces, a token without '=' continues the value before
it. A probe holding the record itself may pass the strings (or python-zeroconf's properties
mapping) directly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scanner.errors import DecodeError
from scanner.parse.kv import decode_text, first_value, flat_table

ENTRIES_MAX = 64
"""Most TXT entries kept."""
KEY_MAX = 64
_KEY = re.compile(rf"[\x21-\x3c\x3e-\x7e]{{1,{KEY_MAX}}}")  # printable ASCII but '='

TxtInput = str | bytes | Sequence[str | bytes] | Mapping[str | bytes, str | bytes | None]


@dataclass(frozen=True, slots=True)
class TxtRecord:
    """The TXT entries in the order sent (first occurrence of each key only)."""

    entries: tuple[tuple[str, str], ...]

    def get(self, key: str) -> str | None:
        """Value of `key`, compared without regard to case (RFC 6763 §6.4)."""
        return first_value(self.entries, key, any_case=True)

    def table(self) -> dict[str, str]:
        """The flat table `mdns.txt` fingerprints match on: keys as sent -> values."""
        return flat_table(self.entries)


def parse_txt(data: TxtInput) -> TxtRecord:
    """Parse 'k=v k=v' text, a list of 'k=v' strings, or a key -> value mapping."""
    if isinstance(data, str | bytes):
        pairs = _split_text(decode_text(data))
    elif isinstance(data, Mapping):
        pairs = [(_str(k), "" if v is None else _str(v)) for k, v in list(data.items())]
    elif isinstance(data, Sequence):
        pairs = [_split_entry(_str(item)) for item in list(data)[: ENTRIES_MAX * 4]]
    else:
        raise DecodeError(f"TXT record of unexpected type {type(data).__name__}")
    return TxtRecord(_first_of_each(pairs))


def _split_text(text: str) -> list[tuple[str, str]]:
    entries: list[tuple[str, list[str]]] = []
    for token in text.split():
        key, equals, value = token.partition("=")
        if equals and _KEY.fullmatch(key):
            entries.append((key, [value]))
        elif entries:
            entries[-1][1].append(token)
        elif _KEY.fullmatch(token):
            entries.append((token, [""]))
    return [(key, " ".join(words)) for key, words in entries]


def _split_entry(entry: str) -> tuple[str, str]:
    key, _, value = entry.partition("=")
    return key, value


def _str(value: object) -> str:
    if isinstance(value, bytes):
        return decode_text(value)
    if isinstance(value, str):
        return decode_text(value)
    raise DecodeError(f"TXT entry of unexpected type {type(value).__name__}")


def _first_of_each(pairs: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    seen: set[str] = set()
    kept: list[tuple[str, str]] = []
    for key, value in pairs:
        if not _KEY.fullmatch(key) or key.lower() in seen:
            continue
        seen.add(key.lower())
        kept.append((key, value))
        if len(kept) >= ENTRIES_MAX:
            break
    return tuple(kept)
