"""The simulated devices, as data: scanner/sim/data/personas.toml loaded into frozen values.

A persona is one address on 127.77.0.0/24 and, per service, the answer a real device gave
(with its source). The loader checks the data's shape and that every address stays inside
the lab's loopback block; it raises ValueError naming the persona and field otherwise.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

from scanner.model import DEVICE_TYPES, DeviceType

LAB_NETWORK: Final = ipaddress.IPv4Network("127.77.0.0/24")
"""Every persona lives here: loopback only, so nothing the lab serves can leave `lo`."""

#: The real port of each service kind (the kinds are also the probe names the lab reports).
SERVICE_PORTS: Final[dict[str, int]] = {
    "http": 80,
    "https": 443,
    "rtsp": 554,
    "ftp": 21,
    "telnet": 23,
}

_MAC = re.compile(r"^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$")
_METHOD = re.compile(r"^(?:\*|[A-Z_]{1,32})$")


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP or RTSP answer a real device sent: status line, headers in order, body."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: str
    sources: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class Banner:
    """A greeting sent unasked (FTP, telnet), exactly as the device sent it."""

    text: str
    sources: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class TlsIdentity:
    """Subject and issuer of a device's certificate, RFC 4514 rendering."""

    subject: str
    issuer: str
    sources: tuple[str, ...]
    note: str = ""

    @property
    def self_signed(self) -> bool:
        return self.subject == self.issuer


@dataclass(frozen=True, slots=True)
class Label:
    """What the device truly is: the answer a test expects camscan to reach."""

    manufacturer: str | None
    """Who built the platform/firmware."""
    brand: str | None
    """The label it is sold under."""
    model: str | None
    device_type: DeviceType | None
    is_camera: bool | None


@dataclass(frozen=True, slots=True)
class Persona:
    """One simulated device: an address and what it answers on each service."""

    name: str
    address: str
    label: Label
    description: str
    mac: str | None
    """For ARP work later; loopback has no ARP, so the lab does not use it."""
    identifiable_unicast: bool
    reason: str
    """Why the maker cannot be named from unicast answers (empty when it can)."""
    http: Answer | None
    """Answer to GET / (plain HTTP on 80, and over TLS on 443 when `tls` is set)."""
    rtsp: tuple[tuple[str, Answer], ...]
    """(method, answer) pairs; method "*" answers every method not listed."""
    tls: TlsIdentity | None
    ftp: Banner | None
    telnet: Banner | None
    tcp_ports: tuple[int, ...]
    """Ports that accept a connection and close it: open, but nothing the lab can say."""
    tcp_sources: tuple[str, ...] = ()

    def rtsp_answer(self, method: str) -> Answer | None:
        """The captured answer to `method`, the catch-all one, or None (unknown)."""
        table = dict(self.rtsp)
        return table.get(method.upper(), table.get("*"))

    def services(self) -> dict[int, str]:
        """Real port -> service kind ("http", "https", "rtsp", "ftp", "telnet", "tcp")."""
        kinds: dict[int, str] = {port: "tcp" for port in self.tcp_ports}
        present = {
            "http": self.http is not None,
            "https": self.tls is not None,
            "rtsp": bool(self.rtsp),
            "ftp": self.ftp is not None,
            "telnet": self.telnet is not None,
        }
        for kind, on in present.items():
            if on:
                kinds[SERVICE_PORTS[kind]] = kind
        return kinds

    def sources(self) -> tuple[str, ...]:
        """Every source cited for this persona, in data order, without repeats."""
        cited: list[str] = []
        for answer in (self.http, *(a for _, a in self.rtsp), self.tls, self.ftp, self.telnet):
            if answer is not None:
                cited.extend(answer.sources)
        cited.extend(self.tcp_sources)
        return tuple(dict.fromkeys(cited))


def load_personas(text: str | None = None) -> tuple[Persona, ...]:
    """Parse personas.toml (or `text` in the same format); raise ValueError if malformed."""
    if text is None:
        text = resources.files("scanner.sim").joinpath("data/personas.toml").read_text("utf-8")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"personas.toml: {exc}") from exc
    personas = tuple(_persona(entry) for entry in _list(doc, "persona", "personas.toml"))
    _check_unique(personas)
    return personas


def _persona(entry: Any) -> Persona:
    if not isinstance(entry, dict):
        raise ValueError("personas.toml: every [[persona]] must be a table")
    name = _str(entry, "name", "persona")
    where = f"persona {name!r}"
    address = _address(_str(entry, "address", where), where)
    mac = _opt_str(entry, "mac", where)
    if mac is not None and not _MAC.match(mac):
        raise ValueError(f"{where}: mac {mac!r} is not aa:bb:cc:dd:ee:ff (lower case)")
    identifiable = entry.get("identifiable_unicast")
    if not isinstance(identifiable, bool):
        raise ValueError(f"{where}: identifiable_unicast must be true or false")
    reason = _opt_str(entry, "reason", where) or ""
    if not identifiable and not reason:
        raise ValueError(f"{where}: identifiable_unicast = false needs a reason")
    tcp = entry.get("tcp", {})
    return Persona(
        name=name,
        address=address,
        label=_label(entry.get("label"), where),
        description=_opt_str(entry, "description", where) or "",
        mac=mac,
        identifiable_unicast=identifiable,
        reason=reason,
        http=_answer(entry["http"], f"{where} http") if "http" in entry else None,
        rtsp=tuple(_rtsp(item, where) for item in _list(entry, "rtsp", where)),
        tls=_tls(entry["tls"], where) if "tls" in entry else None,
        ftp=_banner(entry["ftp"], f"{where} ftp") if "ftp" in entry else None,
        telnet=_banner(entry["telnet"], f"{where} telnet") if "telnet" in entry else None,
        tcp_ports=tuple(_port(p, where) for p in _list(tcp, "ports", f"{where} tcp")),
        tcp_sources=_sources(tcp, f"{where} tcp") if tcp else (),
    )


def _label(raw: Any, where: str) -> Label:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: label must be a table")
    device_type = _opt_str(raw, "device_type", where)
    if device_type is not None and device_type not in DEVICE_TYPES:
        raise ValueError(f"{where}: device_type {device_type!r} not in {DEVICE_TYPES}")
    is_camera = raw.get("is_camera")
    if is_camera is not None and not isinstance(is_camera, bool):
        raise ValueError(f"{where}: is_camera must be true or false")
    return Label(
        manufacturer=_opt_str(raw, "manufacturer", where),
        brand=_opt_str(raw, "brand", where),
        model=_opt_str(raw, "model", where),
        device_type=device_type,  # type: ignore[arg-type]  # checked against DEVICE_TYPES
        is_camera=is_camera,
    )


def _answer(raw: Any, where: str) -> Answer:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: must be a table")
    status = raw.get("status")
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError(f"{where}: status must be a number 100..599")
    headers = []
    for pair in _list(raw, "headers", where):
        if not (isinstance(pair, list) and len(pair) == 2
                and all(isinstance(x, str) for x in pair)):
            raise ValueError(f"{where}: each header must be [name, value]")
        if any(c in pair[0] + pair[1] for c in "\r\n") or not pair[0].strip():
            raise ValueError(f"{where}: header {pair[0]!r} has a line break or no name")
        headers.append((pair[0], pair[1]))
    if "body_lines" in raw:
        lines = _list(raw, "body_lines", where)
        if not all(isinstance(line, str) for line in lines):
            raise ValueError(f"{where}: body_lines must be strings")
        body = "".join(line + "\r\n" for line in lines)
    else:
        body = _opt_str(raw, "body", where) or ""
    return Answer(status, _str(raw, "reason", where), tuple(headers), body,
                  _sources(raw, where), _opt_str(raw, "note", where) or "")


def _rtsp(raw: Any, where: str) -> tuple[str, Answer]:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: each [[persona.rtsp]] must be a table")
    method = _str(raw, "method", f"{where} rtsp")
    if not _METHOD.match(method):
        raise ValueError(f"{where}: rtsp method {method!r} is not a method name or '*'")
    return method, _answer(raw, f"{where} rtsp {method}")


def _tls(raw: Any, where: str) -> TlsIdentity:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: tls must be a table")
    return TlsIdentity(_str(raw, "subject", f"{where} tls"), _str(raw, "issuer", f"{where} tls"),
                       _sources(raw, f"{where} tls"), _opt_str(raw, "note", where) or "")


def _banner(raw: Any, where: str) -> Banner:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: must be a table")
    return Banner(_str(raw, "banner", where), _sources(raw, where),
                  _opt_str(raw, "note", where) or "")


def _sources(raw: dict[str, Any], where: str) -> tuple[str, ...]:
    cited = _list(raw, "source", where)
    if not cited or not all(isinstance(s, str) and s.strip() for s in cited):
        raise ValueError(f"{where}: every answer needs a non-empty source list")
    return tuple(cited)


def _address(text: str, where: str) -> str:
    try:
        address = ipaddress.IPv4Address(text)
    except ValueError as exc:
        raise ValueError(f"{where}: address {text!r} is not an IPv4 address") from exc
    if address not in LAB_NETWORK or address in (LAB_NETWORK.network_address,
                                                  LAB_NETWORK.broadcast_address):
        raise ValueError(f"{where}: address {text} is outside the lab block {LAB_NETWORK}")
    return str(address)


def _port(value: Any, where: str) -> int:
    if not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValueError(f"{where}: port {value!r} is not 1..65535")
    return value


def _check_unique(personas: tuple[Persona, ...]) -> None:
    for attr in ("name", "address"):
        seen: set[str] = set()
        for persona in personas:
            value = getattr(persona, attr)
            if value in seen:
                raise ValueError(f"personas.toml: {attr} {value!r} is used twice")
            seen.add(value)
    for persona in personas:
        served = {port for port, kind in persona.services().items() if kind != "tcp"}
        clash = set(persona.tcp_ports) & served
        if clash:
            raise ValueError(f"persona {persona.name!r}: tcp port(s) {sorted(clash)} also "
                             "carry a service")


def _list(raw: Any, key: str, where: str) -> list[Any]:
    value = raw.get(key, []) if isinstance(raw, dict) else None
    if not isinstance(value, list):
        raise ValueError(f"{where}: {key} must be a list")
    return value


def _str(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where}: {key} must be a non-empty string")
    return value


def _opt_str(raw: dict[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{where}: {key} must be a string")
    return value
