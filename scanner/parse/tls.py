"""Subject and issuer of an X.509 certificate, from DER, with a small bounded walker.

No dependency: only the path Certificate -> tbsCertificate -> issuer/subject (RFC 5280 §4.1)
is walked, and each Name is rendered the way recog's ``x509_subjects`` examples show it,
which is Go's ``pkix.Name.String()`` (RFC 4514 order, most specific RDN first)::

    CN=www.hikvision.com,OU=DVRNVR,O=HIKVISION,L=HangZhou,ST=ZheJiang,C=CN

Attribute types without a short name (emailAddress, ...) are rendered as ``<dotted OID>=#<hex>``
where the hex is the value re-encoded as Go does (PrintableString when the text allows it,
else UTF8String): recog's TP-LINK example ends ``1.2.840.113549.1.9.1=#0c16...``.
Pure and total: anything malformed raises DecodeError.

The same certificate read from a capture: the server's side of a TLS handshake (the end of
this module, :func:`server_handshake`).
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner import limits
from scanner.errors import DecodeError
from scanner.parse.text import cap_text

CERT_MAX = 64 * limits.KIB
"""Largest certificate looked at (real device certificates are 1-2 KiB)."""
_MAX_ATTRIBUTES = 64
_OID_MAX = 64  # bytes of one encoded OID

_SEQUENCE, _SET, _OID, _CONTEXT_0 = 0x30, 0x31, 0x06, 0xA0
#: Short names Go's crypto/x509/pkix gives; every other type is rendered as its OID.
_SHORT_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.5": "SERIALNUMBER",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "STREET",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.17": "POSTALCODE",
}
#: ASN.1 string types -> Python codec (T61String read as ISO-8859-1, as most decoders do).
_STRING_CODECS = {
    0x0C: "utf-8",  # UTF8String
    0x12: "latin-1",  # NumericString
    0x13: "latin-1",  # PrintableString
    0x14: "latin-1",  # T61String
    0x16: "latin-1",  # IA5String
    0x1A: "latin-1",  # VisibleString
    0x1C: "utf-32-be",  # UniversalString
    0x1E: "utf-16-be",  # BMPString
}
_PRINTABLE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?")
_ESCAPE = frozenset(',+"\\<>;')


@dataclass(frozen=True, slots=True)
class CertificateNames:
    """What camscan records from a certificate."""

    subject: str
    issuer: str


@dataclass(frozen=True, slots=True)
class _Tlv:
    tag: int
    start: int  # offset of the tag byte
    content: int  # offset of the first content byte
    end: int  # offset just past the value


def _tlv(data: bytes, pos: int, end: int) -> _Tlv:
    """One DER tag-length-value at ``pos``, which must lie entirely before ``end``."""
    if pos + 2 > end:
        raise DecodeError("DER: truncated tag or length")
    tag, length = data[pos], data[pos + 1]
    if tag & 0x1F == 0x1F:
        raise DecodeError("DER: high tag numbers are not used in names")
    content = pos + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or content + count > end:
            raise DecodeError("DER: bad length")
        length = int.from_bytes(data[content : content + count], "big")
        content += count
    if content + length > end:
        raise DecodeError("DER: value runs past its container")
    return _Tlv(tag, pos, content, content + length)


def _children(data: bytes, parent: _Tlv) -> list[_Tlv]:
    items: list[_Tlv] = []
    pos = parent.content
    while pos < parent.end:
        if len(items) >= _MAX_ATTRIBUTES:
            raise DecodeError("DER: too many elements")
        item = _tlv(data, pos, parent.end)
        items.append(item)
        pos = item.end
    return items


def _expect(item: _Tlv, tag: int, what: str) -> _Tlv:
    if item.tag != tag:
        raise DecodeError(f"DER: {what} has tag 0x{item.tag:02x}, expected 0x{tag:02x}")
    return item


def _oid(data: bytes) -> str:
    """Dotted text of an encoded OBJECT IDENTIFIER."""
    if not data or len(data) > _OID_MAX or data[-1] & 0x80:
        raise DecodeError("DER: bad object identifier")
    arcs: list[int] = []
    value = 0
    for byte in data:
        value = value << 7 | byte & 0x7F
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in (first, arcs[0] - 40 * first, *arcs[1:]))


def _der_string(text: str) -> bytes:
    """``text`` encoded the way Go's encoding/asn1 marshals a plain string."""
    tag = 0x13 if all(c in _PRINTABLE for c in text) else 0x0C
    body = text.encode("utf-8")
    if len(body) < 0x80:
        return bytes((tag, len(body))) + body
    size = len(body).to_bytes((len(body).bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(size))) + size + body


def _escape(value: str) -> str:
    """RFC 4514 §2.4 escaping: specials anywhere, '#' and space at the start, space at the end."""
    out: list[str] = []
    last = len(value) - 1
    for index, char in enumerate(value):
        if char == "\0":
            out.append("\\00")
        elif (
            char in _ESCAPE or (char == " " and index in (0, last)) or (char == "#" and index == 0)
        ):
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def _attribute(data: bytes, atv: _Tlv) -> str:
    """One AttributeTypeAndValue -> ``TYPE=value``."""
    parts = _children(data, _expect(atv, _SEQUENCE, "attribute"))
    if len(parts) != 2:
        raise DecodeError("DER: attribute is not a (type, value) pair")
    kind, value = _expect(parts[0], _OID, "attribute type"), parts[1]
    oid = _oid(data[kind.content : kind.end])
    raw = data[value.content : value.end]
    codec = _STRING_CODECS.get(value.tag)
    text = raw.decode(codec, errors="replace") if codec else None
    name = _SHORT_NAMES.get(oid)
    if name is None or text is None:
        encoded = _der_string(text) if text is not None else data[value.start : value.end]
        return f"{name or oid}=#{encoded.hex()}"
    return f"{name}={_escape(text)}"


def render_name(name_der: bytes) -> str:
    """A DER-encoded Name on its own (e.g. from ``cryptography``'s ``public_bytes()``)."""
    if len(name_der) > CERT_MAX:
        raise DecodeError(f"name larger than {CERT_MAX} bytes")
    name = _tlv(name_der, 0, len(name_der))
    if name.end != len(name_der):
        raise DecodeError("DER: trailing bytes after the name")
    return _render_name(name_der, name)


def _render_name(data: bytes, name: _Tlv) -> str:
    """A Name (RDNSequence) as RFC 4514 text: last RDN first, multi-valued RDNs joined by +."""
    rdns = _children(data, _expect(name, _SEQUENCE, "name"))
    rendered = [
        "+".join(_attribute(data, atv) for atv in _children(data, _expect(rdn, _SET, "RDN")))
        for rdn in rdns
    ]
    return cap_text(",".join(reversed(rendered)), limits.VALUE_MAX)


def certificate_names(der: bytes) -> CertificateNames:
    """Subject and issuer of a DER certificate."""
    if len(der) > CERT_MAX:
        raise DecodeError(f"certificate larger than {CERT_MAX} bytes")
    cert = _expect(_tlv(der, 0, len(der)), _SEQUENCE, "certificate")
    tbs = _expect(_tlv(der, cert.content, cert.end), _SEQUENCE, "tbsCertificate")
    fields = _children(der, tbs)
    if fields and fields[0].tag == _CONTEXT_0:  # [0] EXPLICIT version, absent in v1
        fields = fields[1:]
    # serialNumber, signature, issuer, validity, subject, ...
    if len(fields) < 5:
        raise DecodeError("DER: tbsCertificate too short")
    return CertificateNames(
        subject=_render_name(der, fields[4]), issuer=_render_name(der, fields[2])
    )


# The server's side of a TLS handshake in a capture -> its certificate (TLS 1.2 and older).
#
# Wire format (RFC 5246 §6.2, §7.4): records ``type(1) version(2) length(2) fragment``; type 22
# carries handshake messages ``type(1) length(3) body``, which may span records. ServerHello
# (type 2) names the version; a ``supported_versions`` extension (43, RFC 8446 §4.2.1) selecting
# 0x0304 means TLS 1.3, whose Certificate is encrypted: nothing to read, and the caller says
# so. Up to TLS 1.2 the Certificate message (type 11) follows in the clear:
# ``certificate_list length(3)`` then ``length(3) DER`` per certificate, the server's first.
# Pure and total: bytes in, :class:`ServerHandshake` or DecodeError out.

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
