"""Answers in the HTTP/1.x message syntax from hostile devices: head parsing, chunked and
gzip decoding.

The syntax is HTTP/1.1's (RFC 9112); RTSP/1.0 reuses it (RFC 2326 §6-7), so one head parser
serves both protocols and this module belongs to neither: the HTTP and RTSP probes and their
capture readers all read answers through it (via scanner.protocols.web).
Pure and total: bytes in, a record or :class:`~scanner.errors.DecodeError` out. Every output
is bounded (header values at ``HEADER_VALUE_MAX``, chunk lines, inflated size), so the caller
only has to bound what it reads off the wire.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

from scanner import limits
from scanner.errors import DecodeError
from scanner.parse.text import cap_text

_HEAD_END = re.compile(rb"\r?\n\r?\n")
_STATUS_LINE = re.compile(rb"([A-Za-z]{4})/(\d{1,2})\.(\d{1,2})[ \t]+(\d{3})(?:[ \t]+(.*))?")
_MAX_HEADERS = 128
_CHUNK_LINE_MAX = 1 * limits.KIB
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")


def header_text(raw: bytes, limit: int = limits.HEADER_VALUE_MAX) -> str:
    """A header value as text: UTF-8 if it is valid UTF-8, else ISO-8859-1 (RFC 9110 §5.5)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return cap_text(text.strip(" \t"), limit)


@dataclass(frozen=True, slots=True)
class ResponseHead:
    """Status line and headers of one answer."""

    protocol: str
    """"HTTP" or "RTSP" as sent (upper-cased)."""
    version: str
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    """(lower-case name, value) in the order sent; values decoded and bounded."""

    def get(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        values = self.get_all(name)
        return values[0] if values else None

    def get_all(self, name: str) -> tuple[str, ...]:
        wanted = name.lower()
        return tuple(value for key, value in self.headers if key == wanted)


def find_head_end(buffer: bytes | bytearray, start: int = 0) -> int:
    """Offset just past the blank line ending the head (CRLF or bare LF), or -1."""
    match = _HEAD_END.search(buffer, max(start - 3, 0))
    return match.end() if match else -1


def parse_head(raw: bytes, protocol: str = "HTTP") -> ResponseHead:
    """Parse a status line and headers. A head cut short still yields its complete lines."""
    lines = raw.split(b"\n")
    status = _STATUS_LINE.fullmatch(lines[0].rstrip(b"\r"))
    if status is None or status.group(1).upper().decode("ascii") != protocol:
        raise DecodeError(f"not an {protocol} status line: {lines[0][:40]!r}")
    headers: list[tuple[str, bytes]] = []
    for line in lines[1:]:
        line = line.rstrip(b"\r")
        if not line:
            break
        if line[:1] in (b" ", b"\t") and headers:  # obsolete line folding (RFC 9112 §5.2)
            previous, value = headers[-1]
            headers[-1] = (previous, value + b" " + line.strip())
            continue
        raw_name, colon, value = line.partition(b":")
        if not colon or not raw_name.strip():
            continue  # a malformed line is skipped, not fatal: devices send odd things
        headers.append((raw_name.strip().lower().decode("latin-1"), value))
        if len(headers) >= _MAX_HEADERS:
            break
    return ResponseHead(
        protocol=protocol,
        version=f"{int(status.group(2))}.{int(status.group(3))}",
        status=int(status.group(4)),
        reason=header_text(status.group(5) or b""),
        headers=tuple((name, header_text(value)) for name, value in headers),
    )


def content_length(head: ResponseHead) -> int | None:
    """The declared body length, or None when absent or not a plain non-negative number."""
    value = head.get("content-length")
    if value is None or not value.isdigit() or len(value) > 18:
        return None
    return int(value)


def is_chunked(head: ResponseHead) -> bool:
    return any("chunked" in value.lower() for value in head.get_all("transfer-encoding"))


class ChunkedDecoder:
    """Incremental, bounded decoder for ``Transfer-Encoding: chunked`` (RFC 9112 §7.1).

    ``feed`` returns the payload bytes found so far and never holds more than one chunk-size
    line of undecoded input; trailers after the last chunk are ignored.
    """

    def __init__(self) -> None:
        self.done = False
        self._remaining = 0  # payload bytes left in the current chunk
        self._need_crlf = False  # the CRLF that ends a chunk's data is still due
        self._line = bytearray()

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        pos = 0
        while pos < len(data) and not self.done:
            if self._remaining:
                take = data[pos : pos + self._remaining]
                out += take
                self._remaining -= len(take)
                pos += len(take)
                self._need_crlf = self._remaining == 0
            else:
                pos = self._feed_line(data, pos)
        return bytes(out)

    def _feed_line(self, data: bytes, pos: int) -> int:
        """Collect a size line (or the CRLF after data) from ``pos``; act on it if complete."""
        newline = data.find(b"\n", pos)
        if newline < 0:
            self._line += data[pos:]
            if len(self._line) > _CHUNK_LINE_MAX:
                raise DecodeError("chunk-size line too long")
            return len(data)
        self._line += data[pos:newline]
        line = bytes(self._line).strip()
        self._line.clear()
        if len(line) > _CHUNK_LINE_MAX:
            raise DecodeError("chunk-size line too long")
        if self._need_crlf:
            self._need_crlf = False
            if line:
                raise DecodeError("chunk data not followed by CRLF")
            return newline + 1
        size_text = line.split(b";", 1)[0].strip()
        if _HEX.fullmatch(size_text) is None:
            raise DecodeError(f"bad chunk size {size_text[:20]!r}")
        size = int(size_text, 16)
        if size == 0:
            self.done = True
        self._remaining = size
        return newline + 1


def decode_content(body: bytes, coding: str, max_out: int) -> tuple[bytes, bool]:
    """Undo a gzip/deflate ``Content-Encoding``, inflating at most ``max_out`` bytes.

    Returns (data, truncated). A gzip bomb stops at ``max_out``: ``decompressobj`` with
    ``max_length`` never produces more. Unknown codings are returned as they came.
    """
    coding = coding.strip().lower()
    attempts: tuple[int, ...]
    if coding in ("gzip", "x-gzip"):
        attempts = (16 + zlib.MAX_WBITS,)
    elif coding == "deflate":  # zlib-wrapped per the RFC, raw deflate in practice too
        attempts = (zlib.MAX_WBITS, -zlib.MAX_WBITS)
    else:
        return body, False
    for wbits in attempts:
        inflater = zlib.decompressobj(wbits)
        try:
            data = inflater.decompress(body, max_out)
        except zlib.error:
            continue
        return data, bool(inflater.unconsumed_tail)
    raise DecodeError(f"undecodable {coding} body")
