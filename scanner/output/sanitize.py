"""Make text that came off the network safe to show a person or a spreadsheet.

Banners, titles and headers are written by devices, and a device may be hostile: a Server
header such as ``"\\x1b[31mevil\\x1b]0;title\\x07"`` would recolour a terminal or retitle its
window if printed as is. The table and CSV formats pass every cell through :func:`clean`;
the JSON formats keep values exact (JSON escapes them) and use :func:`json_line_safe`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TextIO

ELLIPSIS = "…"

#: Escape sequences (ECMA-48), 7-bit and 8-bit forms, removed whole so that their parameters do
#: not show up as stray text:
#: - CSI: ``ESC [`` or ``0x9b``, parameter bytes, intermediate bytes, one final byte;
#: - control strings (OSC, DCS, SOS, PM, APC): introducer, body, then BEL or ST. The body may
#:   not contain another introducer or terminator candidate, which keeps the scan linear on
#:   input made of nothing but introducers;
#: - any other ``ESC`` sequence: intermediate bytes and one final byte (``ESC c`` resets a
#:   terminal). An unterminated control string falls to this branch: only ``ESC ]`` goes and
#:   its body stays, as harmless text once the controls in it are removed.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x90\x98\x9c-\x9f]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -/]*[0-~]?"
)

#: Whitespace controls and Unicode line/paragraph separators become a space (keeps words apart).
_SPACE_LIKE = re.compile(r"[\t\n\v\f\r\x85\u2028\u2029]+")

#: Every other C0/C1 control and DEL; the bidirectional overrides and isolates (they reorder
#: what a reader sees, "Trojan Source" style); lone surrogates (undecodable bytes carried by
#: ``surrogateescape``) and the non-characters U+FFFE/U+FFFF.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")

_SPACES = re.compile(r" {2,}")

#: Characters JSON allows raw inside a string but some readers treat as a line break or choke
#: on: C1 controls (NEL, U+0085, splits lines for ``str.splitlines``), DEL, U+2028/U+2029, and
#: lone surrogates (a UTF-8 stream cannot encode them).
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029\ud800-\udfff]")

#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@")


def _replace_unsafe(match: re.Match[str]) -> str:
    """Lone surrogates and non-characters were data once: mark them; controls just go."""
    char = match.group()
    return "\ufffd" if char >= "\ud800" else ""


def clean(value: str, max_len: int | None = None) -> str:
    """``value`` with escape sequences and controls removed, whitespace folded, and at most
    ``max_len`` characters (the last one an ellipsis when cut)."""
    text = _ESCAPE_SEQUENCE.sub("", value)
    text = _SPACE_LIKE.sub(" ", text)
    text = _UNSAFE.sub(_replace_unsafe, text)
    text = _SPACES.sub(" ", text).strip()
    if max_len is not None and len(text) > max_len:
        text = text[: max(max_len - 1, 0)].rstrip() + ELLIPSIS
    return text


def neutralise_formula(cell: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would evaluate (``=HYPERLINK(...)``, ``@SUM``...)."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def json_line_safe(text: str) -> str:
    """Escape, as ``\\uXXXX``, the characters of JSON text that break lines or encoders.

    Only valid inside JSON produced by ``json.dumps``: such characters can only occur inside
    string literals there, where the escape means the same character, so the value a reader
    decodes is exactly the one given.
    """
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def write_text(stream: TextIO, text: str, fallback: Callable[[], str] | None = None) -> None:
    """Write ``text``; if the stream's encoding cannot hold it, write ``fallback()`` instead, or
    else ``text`` with the characters it cannot hold replaced. Output never crashes on a
    character a device sent. (A text stream encodes the whole string before writing any of it,
    so nothing is written twice.)"""
    try:
        stream.write(text)
    except UnicodeEncodeError:
        if fallback is not None:
            stream.write(fallback())
            return
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(encoding, "replace").decode(encoding, "replace"))
