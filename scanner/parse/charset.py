"""Which character set a device may choose for its text: real, ASCII-compatible text codecs.

A device names its charset (an HTTP ``Content-Type``, a ``<meta charset>``, an XML
declaration), and ``codecs.lookup`` knows far more than character sets: ``rot13``,
``base64``, ``hex``, ``zlib``, ``bz2``, ``uu`` and ``quopri`` are bytes-to-bytes transforms
whose ``bytes.decode`` raises; ``idna``, ``punycode`` and ``undefined`` raise on ordinary
pages; the ``*escape`` codecs and UTF-7 rewrite the markup itself (issue 12, item 1). Only a
text encoding that reads ASCII as ASCII is accepted (the markup camscan looks for is ASCII);
anything else is ignored, and the caller falls back to UTF-8 or ISO-8859-1.
"""

from __future__ import annotations

import codecs

_NOT_CHARSETS = frozenset(
    ("idna", "punycode", "undefined", "utf-7", "unicode-escape", "raw-unicode-escape")
)
"""Text codecs by Python's own flag that are not character sets a page can be written in."""
_ASCII_PROBE = bytes(range(0x20, 0x7F)) + b"\t\r\n"


def text_codec(label: str | None) -> str | None:
    """Python's codec name for a device-given charset `label`, or None if it is unknown or
    not an ASCII-compatible text encoding (then the page is decoded without it)."""
    if not label:
        return None
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    if not info._is_text_encoding or info.name in _NOT_CHARSETS or "escape" in info.name:
        return None
    try:
        if _ASCII_PROBE.decode(info.name) != _ASCII_PROBE.decode("ascii"):
            return None  # UTF-16, EBCDIC...: not how the ASCII markup around it was read
    except (UnicodeError, LookupError, ValueError):
        return None
    return info.name


def decode_declared(data: bytes, label: str | None, fallback: str = "utf-8") -> str | None:
    """`data` decoded with the charset `label` names (bad bytes replaced), or None when the
    label is not a usable text codec (see :func:`text_codec`)."""
    name = text_codec(label)
    if name is None:
        return None
    try:
        return data.decode(name, "replace")
    except (UnicodeError, LookupError, ValueError):  # a codec that refuses 'replace'
        return None
