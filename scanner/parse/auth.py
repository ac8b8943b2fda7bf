"""HTTP authentication: WWW-Authenticate challenges in, Authorization answers out.

Pure and total like every parser: a device's challenge is text in, a list of
:class:`Challenge` or :class:`~scanner.errors.DecodeError` out. The answers follow RFC 7616
(Digest: MD5, SHA-256 and their ``-sess`` forms, qop ``auth`` or none), RFC 7617 (Basic)
and the OASIS WS-Security UsernameToken profile 1.0 (PasswordDigest) that ONVIF uses.
Everything a device put in its challenge and that goes back in a header is checked first:
no control characters, so a hostile realm or nonce cannot add a header to our request.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

from scanner.errors import DecodeError
from scanner.parse.kv import first_value

CHALLENGES_MAX = 8
PARAMS_MAX = 16
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.){0,512})"', re.S)
_SPACE = re.compile(r"[ \t]*")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")
HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


@dataclass(frozen=True, slots=True)
class Challenge:
    """One challenge: its scheme (lower case) and parameters (names lower case)."""

    scheme: str
    params: tuple[tuple[str, str], ...]

    def get(self, name: str) -> str | None:
        return first_value(self.params, name)


def parse_challenges(header: str) -> list[Challenge]:
    """Every challenge in one WWW-Authenticate value ('Digest realm="x", nonce="y", Basic
    realm="x"'); DecodeError if it holds none or is malformed."""
    found: list[Challenge] = []
    pos = _SPACE.match(header, 0).end()  # type: ignore[union-attr]
    while pos < len(header) and len(found) < CHALLENGES_MAX:
        scheme = _TOKEN.match(header, pos)
        if scheme is None:
            raise DecodeError(f"bad challenge at {header[pos:pos + 20]!r}")
        pos, params = _params(header, scheme.end())
        found.append(Challenge(scheme.group().lower(), tuple(params)))
    if not found:
        raise DecodeError("no challenge")
    return found


def _params(header: str, pos: int) -> tuple[int, list[tuple[str, str]]]:
    """auth-params after a scheme, up to the next scheme or the end: (position, params)."""
    params: list[tuple[str, str]] = []
    while True:
        pos = _skip(header, pos)
        name = _TOKEN.match(header, pos)
        if name is None or pos >= len(header):
            return pos, params
        after = _SPACE.match(header, name.end()).end()  # type: ignore[union-attr]
        if after >= len(header) or header[after] != "=" or len(params) >= PARAMS_MAX:
            return pos, params  # the next challenge's scheme (or token68, unused here)
        value_at = _SPACE.match(header, after + 1).end()  # type: ignore[union-attr]
        quoted = _QUOTED.match(header, value_at)
        if quoted is not None:
            value, pos = re.sub(r"\\(.)", r"\1", quoted.group(1)), quoted.end()
        elif (token := _TOKEN.match(header, value_at)) is not None:
            value, pos = token.group(), token.end()
        else:
            raise DecodeError(f"bad value for {name.group()!r}")
        params.append((name.group().lower(), value))


def _skip(header: str, pos: int) -> int:
    """Past spaces and commas between parameters."""
    while pos < len(header) and header[pos] in " \t,":
        pos += 1
    return pos


def _safe(value: str, what: str) -> str:
    if _UNSAFE.search(value):
        raise DecodeError(f"control character in the challenge's {what}")
    return value


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True, slots=True)
class DigestAnswer:
    """The inputs of one Digest answer that are ours to choose."""

    method: str
    uri: str
    cnonce: str
    nc: int = 1


def digest_usable(challenge: Challenge) -> bool:
    """A Digest challenge camscan can answer (known algorithm, qop auth or none)."""
    algorithm = (challenge.get("algorithm") or "MD5").upper().removesuffix("-SESS")
    qop = challenge.get("qop")
    offers = [q.strip().lower() for q in qop.split(",")] if qop is not None else []
    return (
        challenge.scheme == "digest"
        and algorithm in HASHES
        and bool(challenge.get("nonce"))
        and (qop is None or "auth" in offers)
    )


def digest_authorization(
    challenge: Challenge, user: str, password: str, answer: DigestAnswer
) -> str:
    """The Authorization value answering `challenge` (RFC 7616 §3.4); DecodeError if the
    challenge cannot be answered safely."""
    if not digest_usable(challenge):
        raise DecodeError("no usable Digest challenge")
    realm = _safe(challenge.get("realm") or "", "realm")
    nonce = _safe(challenge.get("nonce") or "", "nonce")
    opaque = challenge.get("opaque")
    algorithm = challenge.get("algorithm") or "MD5"
    digest = HASHES[algorithm.upper().removesuffix("-SESS")]

    def h(text: str) -> str:
        return digest(text.encode("utf-8")).hexdigest()

    ha1 = h(f"{user}:{realm}:{password}")
    if algorithm.upper().endswith("-SESS"):
        ha1 = h(f"{ha1}:{nonce}:{answer.cnonce}")
    ha2 = h(f"{answer.method}:{answer.uri}")
    nc = f"{answer.nc:08x}"
    qop = challenge.get("qop") is not None
    middle = f"{nonce}:{nc}:{answer.cnonce}:auth" if qop else nonce
    response = h(f"{ha1}:{middle}:{ha2}")
    parts = [
        f"username={_quote(user)}", f"realm={_quote(realm)}", f"nonce={_quote(nonce)}",
        f"uri={_quote(answer.uri)}", f"algorithm={algorithm}", f"response={_quote(response)}",
    ]
    if opaque is not None:
        parts.append(f"opaque={_quote(_safe(opaque, 'opaque'))}")
    if qop:
        parts += ["qop=auth", f"nc={nc}", f"cnonce={_quote(answer.cnonce)}"]
    return "Digest " + ", ".join(parts)


def basic_authorization(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
_OASIS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-"
_PASSWORD_DIGEST = f"{_OASIS}username-token-profile-1.0#PasswordDigest"
_BASE64 = f"{_OASIS}soap-message-security-1.0#Base64Binary"


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """Base64(SHA-1(nonce + created + password)): the UsernameToken PasswordDigest."""
    raw = hashlib.sha1(nonce + created.encode() + password.encode(), usedforsecurity=False)
    return base64.b64encode(raw.digest()).decode("ascii")


def username_token(user: str, password: str, nonce: bytes, created: str) -> str:
    """A wsse:Security header element holding a UsernameToken with a PasswordDigest."""
    return (
        f'<wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}"><wsse:UsernameToken>'
        f"<wsse:Username>{escape(user)}</wsse:Username>"
        f'<wsse:Password Type="{_PASSWORD_DIGEST}">'
        f"{password_digest(nonce, created, password)}</wsse:Password>"
        f'<wsse:Nonce EncodingType="{_BASE64}">'
        f"{base64.b64encode(nonce).decode('ascii')}</wsse:Nonce>"
        f"<wsu:Created>{escape(created)}</wsu:Created></wsse:UsernameToken></wsse:Security>"
    )
