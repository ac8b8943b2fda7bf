"""``key=value`` lines (Dahua ``/cgi-bin/magicBox.cgi``) and the text helpers parsers share.

magicBox answers one ``key=value`` per line (``deviceType=AD410``, ``updateSerial=DB6I``); a
user pasting several answers into ``camscan identify`` also pastes the request URLs between
them (``/cgi-bin/magicBox.cgi?action=getVendor``), which are skipped. Source of the format:
rroller/dahua issues #9 and #304 (corpus samples s0217, s0263).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from scanner.errors import DecodeError
from scanner.limits import KIB, XML_MAX

LINES_MAX = 512
"""Most key=value lines kept from one answer."""

TOO_LARGE = f"answer larger than {XML_MAX // KIB} KiB"

_MAC_HEX = re.compile(r"[0-9A-Fa-f]{12}")
_MAC_SEPARATED = re.compile(r"[0-9A-Fa-f]{1,2}(?:[:-][0-9A-Fa-f]{1,2}){5}")
_URL_LINE = re.compile(r"^(?:/|[A-Za-z][A-Za-z0-9+.-]*://)")


def decode_text(data: bytes | str, *, limit: int = XML_MAX) -> str:
    """Bytes or text from a device -> text, refusing more than `limit` bytes.

    Invalid UTF-8 is replaced, never refused: a broken byte must not hide the rest.
    """
    if isinstance(data, str):
        if len(data) > limit:
            raise DecodeError(TOO_LARGE)
        encoded = data.encode("utf-8", "replace")  # a lone surrogate becomes '?'
        if len(encoded) > limit:
            raise DecodeError(TOO_LARGE)
        return encoded.decode("utf-8")
    if len(data) > limit:
        raise DecodeError(TOO_LARGE)
    return bytes(data).decode("utf-8", "replace")


def load_json(text: str, what: str) -> object:
    """`text` as JSON; DecodeError ``<what> JSON broken: ...`` when it is not JSON or nests
    deeper than the interpreter's recursion limit."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise DecodeError(f"{what} JSON broken: {str(exc)[:80]}") from exc


def json_section(document: object, key: str) -> dict[str, object] | None:
    """The JSON object under `key` of the JSON object `document`; None if either is not one."""
    section = document.get(key) if isinstance(document, dict) else None
    return section if isinstance(section, dict) else None


def normalize_mac(text: str) -> str | None:
    """'58-50-ED-1F-E3-85', '58:50:ed:1f:e3:85' or 'ACCC8E270AD8' -> 'aa:bb:cc:dd:ee:ff'.

    None if `text` is not a MAC address (the form the ``mac`` observation field uses).
    """
    text = text.strip()
    if _MAC_HEX.fullmatch(text):
        digits = text
    elif _MAC_SEPARATED.fullmatch(text):
        digits = "".join(part.zfill(2) for part in re.split("[:-]", text))
    else:
        return None
    digits = digits.lower()
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def parse_port(text: str | None) -> int | None:
    """'8000' -> 8000; None for anything that is not a TCP/UDP port number."""
    if text is None:
        return None
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 5):
        return None
    value = int(text)
    return value if 0 < value < 65536 else None


def add_value(table: dict[str, str], key: str, value: str) -> None:
    """Record `value` under `key`; a repeated key keeps each distinct value, space-joined."""
    old = table.get(key)
    if not old:
        table[key] = value
    elif value and f" {value} " not in f" {old} ":
        table[key] = f"{old} {value}"


def first_value(
    pairs: Iterable[tuple[str, str]], key: str, *, any_case: bool = False
) -> str | None:
    """The first value sent under `key` in name/value pairs kept in the order sent, None if
    there is none; `any_case` compares names without regard to case (TXT keys, headers)."""
    if any_case:
        wanted = key.lower()
        return next((v for k, v in pairs if k.lower() == wanted), None)
    return next((v for k, v in pairs if k == key), None)


def flat_table(pairs: Iterable[tuple[str, str]], **sent: str | None) -> dict[str, str]:
    """The flat table fingerprints match on: the pairs (the last of a repeated name wins), then
    each of `sent` (values outside the pairs, e.g. an envelope's) that is not None."""
    table = dict(pairs)
    table.update((name, value) for name, value in sent.items() if value is not None)
    return table


@dataclass(frozen=True, slots=True)
class Fields:
    """A parser's record whose facts are name/value pairs kept in the order sent (a reply's
    child elements or TLVs); a record with more (an envelope, a namespace) extends it."""

    fields: tuple[tuple[str, str], ...]

    def get(self, key: str) -> str | None:
        """The first value sent under `key`, None if there is none."""
        return first_value(self.fields, key)

    def mac_sent(self, key: str) -> str | None:
        """The MAC sent under `key` as aa:bb:cc:dd:ee:ff; None if none or not a MAC."""
        raw = self.get(key)
        return None if raw is None else normalize_mac(raw)

    def table(self) -> dict[str, str]:
        """The flat table fingerprints match on."""
        return flat_table(self.fields)


@dataclass(frozen=True, slots=True)
class KvLines:
    """The key=value pairs of one answer, in the order sent."""

    entries: tuple[tuple[str, str], ...]

    def get(self, key: str) -> str | None:
        """First value sent for `key`."""
        return first_value(self.entries, key)

    def table(self) -> dict[str, str]:
        """key -> value (a repeated key keeps each distinct value, space-joined)."""
        table: dict[str, str] = {}
        for key, value in self.entries:
            add_value(table, key, value)
        return table


def parse_kv_lines(data: bytes | str) -> KvLines:
    """Parse ``key=value`` lines; skip blank lines, URL lines and lines without '='."""
    text = decode_text(data)
    entries: list[tuple[str, str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or _URL_LINE.match(line) or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip()
        if not key or any(ch.isspace() for ch in key):
            continue
        entries.append((key, value.strip()))
        if len(entries) >= LINES_MAX:
            break
    if not entries:
        raise DecodeError("no key=value lines")
    return KvLines(tuple(entries))
