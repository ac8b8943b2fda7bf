"""SSDP messages: M-SEARCH answers and NOTIFY announcements (UDP 1900).

Format: HTTP over UDP (UPnP Device Architecture 1.1 §1) — a status line
(``HTTP/1.1 200 OK``) or request line (``NOTIFY * HTTP/1.1``), then ``Name: value`` header
lines, CRLF-terminated (some stacks send bare LF), ending at an empty line. Header names are
case-insensitive (``X-User-Agent`` / ``X-USER-AGENT``); the table upper-cases them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scanner.errors import DecodeError
from scanner.limits import DATAGRAM_MAX, HEADER_VALUE_MAX
from scanner.parse.kv import add_value, decode_text, first_value

HEADERS_MAX = 64
"""Most header lines kept from one message."""
_STATUS = re.compile(r"HTTP/\d\.\d[ \t]+\d{3}(?:[ \t].*)?")
_REQUEST = re.compile(r"[A-Z][A-Z-]{0,31}[ \t]+\S+[ \t]+HTTP/\d\.\d")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


@dataclass(frozen=True, slots=True)
class SsdpResponse:
    """One SSDP message: its first line and its headers (names as sent)."""

    start_line: str
    """'HTTP/1.1 200 OK' for an answer, 'NOTIFY * HTTP/1.1' for an announcement."""
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        """First header called `name`, compared without regard to case."""
        return first_value(self.headers, name, any_case=True)

    @property
    def is_response(self) -> bool:
        return self.start_line.startswith("HTTP/")

    @property
    def server(self) -> str | None:
        return self.header("SERVER")

    @property
    def location(self) -> str | None:
        return self.header("LOCATION")

    @property
    def usn(self) -> str | None:
        return self.header("USN")

    def table(self) -> dict[str, str]:
        """The flat table `ssdp.response` fingerprints match on: NAME -> value, plus status."""
        table: dict[str, str] = {"status": self.start_line}
        for name, value in self.headers:
            add_value(table, name.upper(), value)
        return table


def parse_ssdp(data: bytes | str) -> SsdpResponse:
    """Parse an SSDP message; DecodeError unless its first line is HTTP-shaped."""
    lines = re.split(r"\r?\n", decode_text(data, limit=DATAGRAM_MAX))
    start = lines[0].strip()
    if not (_STATUS.fullmatch(start) or _REQUEST.fullmatch(start)):
        raise DecodeError(f"not an SSDP message: {start[:60]!r}")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line.strip():
            break
        if line[0] in " \t" and headers:  # obsolete line folding (RFC 7230 §3.2.4)
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}"[:HEADER_VALUE_MAX])
            continue
        name, colon, value = line.partition(":")
        if colon and _TOKEN.fullmatch(name.strip()):
            headers.append((name.strip(), value.strip()[:HEADER_VALUE_MAX]))
            if len(headers) >= HEADERS_MAX:
                break
    return SsdpResponse(start[:HEADER_VALUE_MAX], tuple(headers))
