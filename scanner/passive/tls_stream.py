"""The server's side of a TLS handshake in a capture -> its certificate (TLS 1.2 and older).

Wire format (RFC 5246 §6.2, §7.4): records ``type(1) version(2) length(2) fragment``; type 22
carries handshake messages ``type(1) length(3) body``, which may span records. ServerHello
(type 2) names the version; a ``supported_versions`` extension (43, RFC 8446 §4.2.1) selecting
0x0304 means TLS 1.3, whose Certificate is encrypted: nothing to read, and the caller says
so. Up to TLS 1.2 the Certificate message (type 11) follows in the clear:
``certificate_list length(3)`` then ``length(3) DER`` per certificate, the server's first.
Pure and total: bytes in, :class:`ServerHandshake` or DecodeError out.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.errors import DecodeError
from scanner.parse.tls import CERT_MAX

_HANDSHAKE, _CHANGE_CIPHER_SPEC, _ALERT, _APPLICATION_DATA = 22, 20, 21, 23
_SERVER_HELLO, _CERTIFICATE = 2, 11
_SUPPORTED_VERSIONS = 43
_VERSIONS = {0x0300: "SSL 3.0", 0x0301: "TLS 1.0", 0x0302: "TLS 1.1", 0x0303: "TLS 1.2",
             0x0304: "TLS 1.3"}
HANDSHAKE_MAX = 2 * CERT_MAX
"""Most handshake bytes gathered (a chain of a few device certificates is under 8 KiB)."""


@dataclass(frozen=True, slots=True)
class ServerHandshake:
    version: str
    """'TLS 1.2', 'TLS 1.3', ... as the ServerHello selected."""
    certificate: bytes | None
    """The server's own certificate (DER); None for TLS 1.3 or when the capture stops first."""


def looks_like_server_hello(data: bytes) -> bool:
    """A handshake record whose first message is a ServerHello (a client stream starts with a
    ClientHello, type 1)."""
    return len(data) >= 6 and data[0] == _HANDSHAKE and data[1] == 3 and data[5] == _SERVER_HELLO


def _handshake_bytes(stream: bytes) -> bytes:
    """The handshake messages of the leading handshake records, joined."""
    out = bytearray()
    pos = 0
    while pos + 5 <= len(stream) and len(out) < HANDSHAKE_MAX:
        kind, length = stream[pos], int.from_bytes(stream[pos + 3 : pos + 5], "big")
        if kind != _HANDSHAKE:
            break  # ChangeCipherSpec, alert or application data: the clear part is over
        out += stream[pos + 5 : pos + 5 + length]
        pos += 5 + length
    return bytes(out[:HANDSHAKE_MAX])


def _messages(data: bytes) -> list[tuple[int, bytes]]:
    found: list[tuple[int, bytes]] = []
    pos = 0
    while pos + 4 <= len(data) and len(found) < 16:
        kind, length = data[pos], int.from_bytes(data[pos + 1 : pos + 4], "big")
        body = data[pos + 4 : pos + 4 + length]
        if len(body) < length:
            break  # cut by the capture or the bound: what came before still counts
        found.append((kind, body))
        pos += 4 + length
    return found


def _selected_version(hello: bytes) -> int:
    """The version a ServerHello selects: its supported_versions extension, else its field."""
    if len(hello) < 38:
        raise DecodeError("ServerHello cut short")
    version = int.from_bytes(hello[0:2], "big")
    pos = 34 + 1 + hello[34] + 2 + 1  # random, session id, cipher suite, compression
    if pos + 2 > len(hello):
        return version  # no extensions
    end = min(len(hello), pos + 2 + int.from_bytes(hello[pos : pos + 2], "big"))
    pos += 2
    while pos + 4 <= end:
        kind, length = int.from_bytes(hello[pos : pos + 2], "big"), int.from_bytes(
            hello[pos + 2 : pos + 4], "big")
        if kind == _SUPPORTED_VERSIONS and length == 2:
            return int.from_bytes(hello[pos + 4 : pos + 6], "big")
        pos += 4 + length
    return version


def _first_certificate(body: bytes) -> bytes | None:
    if len(body) < 6:
        return None
    length = int.from_bytes(body[3:6], "big")
    der = body[6 : 6 + length]
    return der if len(der) == length and 0 < length <= CERT_MAX else None


def server_handshake(stream: bytes) -> ServerHandshake:
    """Read the server's handshake from the start of its stream (see module docstring)."""
    if not looks_like_server_hello(stream):
        raise DecodeError("not the server side of a TLS handshake")
    messages = _messages(_handshake_bytes(stream))
    if not messages or messages[0][0] != _SERVER_HELLO:
        raise DecodeError("no complete ServerHello")
    number = _selected_version(messages[0][1])
    version = _VERSIONS.get(number, f"version 0x{number:04x}")
    if number >= 0x0304:
        return ServerHandshake(version, None)
    certificate = next((b for kind, b in messages if kind == _CERTIFICATE), None)
    return ServerHandshake(version, _first_certificate(certificate) if certificate else None)
