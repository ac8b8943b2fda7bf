"""The little camscan needs from an HTML page: its text encoding and its ``<title>``.

Not an HTML parser: a login page's title is all a fingerprint needs, and a linear scan with
``str.find`` cannot be made slow by a hostile page the way a backtracking regex can.
"""

from __future__ import annotations

import html
import re

from scanner.parse.charset import text_codec
from scanner.parse.text import cap_text

#: Longest title kept (a real login page's title is a few dozen characters).
TITLE_MAX = 512
#: How far into a page a ``<meta charset>`` is looked for (HTML requires the first 1024 bytes).
_SNIFF_BYTES = 2048
_META_CHARSET = re.compile(
    rb"<meta[^>]{0,512}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})", re.I
)
_CONTENT_TYPE_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})", re.I)


def sniff_charset(body: bytes, content_type: str | None = None) -> str | None:
    """Charset from the Content-Type header, else from a ``<meta>`` near the top, else None."""
    if content_type:
        match = _CONTENT_TYPE_CHARSET.search(content_type)
        codec = text_codec(match.group(1)) if match else None
        if codec:
            return codec
    meta = _META_CHARSET.search(body[:_SNIFF_BYTES])
    return text_codec(meta.group(1).decode("ascii")) if meta else None


def decode_text(body: bytes, content_type: str | None = None) -> str:
    """Body bytes as text: declared charset, else UTF-8 if valid, else ISO-8859-1.

    Only a real text charset counts as declared (scanner.parse.charset): a device naming
    ``rot13`` or ``base64`` gets its page read as if it had named none."""
    codec = sniff_charset(body, content_type)
    if codec:
        try:
            return body.decode(codec, errors="replace")
        except (UnicodeError, LookupError):  # a codec that refuses 'replace'
            pass
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("latin-1")


def extract_title(text: str) -> str | None:
    """Text of the first ``<title>``: entities decoded, whitespace folded, capped; or None.

    A title never closed (a page cut at the body cap, a sloppy page) runs to the next tag or
    to the end of the text.
    """
    lower = text.lower()
    start = lower.find("<title")
    while start >= 0 and lower[start + 6 : start + 7] not in (">", " ", "\t", "\n", "\r", "/"):
        start = lower.find("<title", start + 6)  # <titlebar> is not <title>
    if start < 0:
        return None
    open_end = lower.find(">", start)
    if open_end < 0:
        return None
    close = lower.find("</title", open_end + 1)
    if close < 0:
        close = lower.find("<", open_end + 1)
    raw = text[open_end + 1 : close if close >= 0 else len(text)]
    title = " ".join(html.unescape(raw[: TITLE_MAX * 8]).split())
    return cap_text(title, TITLE_MAX) if title else None
