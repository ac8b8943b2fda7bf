"""Hostile personas: devices that try to crash, stall, exhaust or redirect camscan.

Each persona (tests/hostile/lab/data/hostile.toml) is one attack: an XML entity bomb or an
external entity, a gzip bomb, an endless or one-byte-a-second body, escape sequences in what
a person reads, URLs and redirects that point outside the scan scope, a reset mid-answer,
junk datagrams and an mDNS flood. Where an attack rides on a real answer, the answer is a
real capture (cited in the data file) and the attack is the only change.

This module holds the personas and the TCP (HTTP) side; tests.hostile.lab.udp answers
discovery; tests.hostile.lab.lab serves them, on loopback or inside the namespaces of a
network sandbox (tests/hostile), never anywhere else.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import re
import socket
import struct
import termios
import tomllib
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from scanner.sim.responders import load_discovery_personas

DATA = Path(__file__).parent / "data"
"""The hostile personas' data files (next to this module, not in the wheel)."""

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

BOMB_SIZE = 32 * 1024 * 1024
"""Bytes the gzip bomb inflates to (its wire size is about 32 KiB, under the 64 KiB cap)."""
ENDLESS_MAX = 64 * 1024 * 1024
"""The endless body stops after this much, so a broken client cannot keep the lab busy."""
SLOW_INTERVAL = 1.0
"""Seconds between two bytes of the slowloris answer."""
REQUEST_DEADLINE = 5.0
UPNP_PORT = 45895
"""The description port of the Axis capture's LOCATION."""
ONVIF_PORT = 8080
UNICODE_PATH = "/ráíz desc.xml"
_HEAD_END = b"\r\n\r\n"


@dataclass(frozen=True, slots=True)
class HostilePersona:
    """One attack, what it rides on, and what camscan must say about it."""

    name: str
    services: tuple[str, ...]
    """"http", "ssdp", "wsd", "sadp", "junk", "mdns": where the attack is served."""
    description: str
    base: str
    """The real capture(s) the attack rides on ('' when it needs none)."""
    attack: str
    expect: tuple[tuple[str, str], ...]
    """(probe, text): camscan's status for this persona under `probe` must contain text."""


@dataclass(frozen=True, slots=True)
class Attacks:
    """The entity declarations the XML attacks use (from hostile.toml)."""

    billion_laughs: str
    billion_laughs_ref: str
    external_entity: str
    external_entity_ref: str


def _data(name: str) -> str:
    """A data file as stored (bytes decoded as they are: its CRLFs are part of the capture)."""
    path = DATA / name
    return path.read_bytes().decode("utf-8")


@functools.cache
def _manifest() -> dict[str, Any]:
    return tomllib.loads(_data("hostile.toml"))


def load_hostile_personas() -> tuple[HostilePersona, ...]:
    """Every persona of hostile.toml, in file order (ValueError on malformed data)."""
    found = []
    for raw in _manifest().get("persona", []):
        expect = tuple((str(probe), str(text)) for probe, text in raw.get("expect", []))
        if not expect or not raw.get("service"):
            raise ValueError(f"hostile.toml: {raw.get('name')!r} lacks service or expect")
        found.append(
            HostilePersona(
                raw["name"], tuple(raw["service"]), raw["description"], raw.get("base", ""),
                raw["attack"], expect,
            )
        )
    return tuple(found)


def attacks() -> Attacks:
    raw = _manifest()
    return Attacks(
        raw["billion_laughs"], raw["billion_laughs_ref"],
        raw["external_entity"], raw["external_entity_ref"],
    )


# -- payloads -------------------------------------------------------------------------------

_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*\?>")


def with_doctype(xml: str, doctype: str, tag: str, reference: str) -> str:
    """`xml` with `doctype` after its XML declaration and `reference` as the text of the
    first element whose local name is `tag` (the entity is then actually used)."""
    element = re.compile(rf"(<(?:[\w.-]+:)?{tag}\b[^>]*>)[^<]*(</)")
    used, count = element.subn(lambda m: m.group(1) + reference + m.group(2), xml, count=1)
    if not count:
        raise ValueError(f"no <{tag}> to put {reference} in")
    declaration = _DECLARATION.match(used)
    cut = declaration.end() if declaration else 0
    return used[:cut] + doctype + used[cut:]


def upnp_description() -> str:
    """The real AXIS M1014 description."""
    return _data("axis-m1014.upnp.xml")


def upnp_billion_laughs() -> bytes:
    found = attacks()
    text = with_doctype(
        upnp_description(), found.billion_laughs, "friendlyName", found.billion_laughs_ref
    )
    return text.encode()


def soap_billion_laughs() -> bytes:
    """A SOAP 1.2 envelope around the real Amcrest GetDeviceInformationResponse, bombed."""
    found = attacks()
    body = _data("amcrest-ip5m-t1277ew-ai.devinfo.xml")
    envelope = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><s:Body>'
        f"{body}</s:Body></s:Envelope>"
    )
    return with_doctype(
        envelope, found.billion_laughs, "Manufacturer", found.billion_laughs_ref
    ).encode()


def ssdp_answer(location: str) -> bytes:
    """The real AXIS M1014 M-SEARCH answer with its LOCATION replaced, blank line added."""
    lines = _data("axis-m1014.ssdp.txt").rstrip("\r\n").split("\r\n")
    lines = [f"LOCATION: {location}" if ln.startswith("LOCATION:") else ln for ln in lines]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def discovery_table(persona: str, protocol: str) -> dict[str, Any]:
    """A copy of a benign discovery persona's answer table (real capture, see its source)."""
    by_name = {p.name: p for p in load_discovery_personas()}
    return dict(by_name[persona].answers[protocol])


def probematch_table(xaddrs: str) -> dict[str, Any]:
    """The real DS-2CD3955FWD ProbeMatch with `xaddrs` as its only XAddrs."""
    table = discovery_table("hik-ds2cd3955fwd", "wsd")
    table["reply"] = re.sub(
        r"<d:XAddrs>[^<]*</d:XAddrs>", f"<d:XAddrs>{xaddrs}</d:XAddrs>", table["reply"]
    )
    return table


def sadp_external_entity_table() -> dict[str, Any]:
    """The real DS-2CD2385G1 SADP answer declaring and using an external entity."""
    found = attacks()
    table = discovery_table("hik-ds2cd2385g1", "sadp")
    table["reply"] = with_doctype(
        table["reply"], found.external_entity, "DeviceDescription", found.external_entity_ref
    )
    return table


@functools.cache
def gzip_bomb(size: int = BOMB_SIZE) -> bytes:
    """gzip of `size` zero bytes, compressed in 1 MiB steps (never held inflated)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    step = bytes(1024 * 1024)
    parts = [
        packer.compress(step[: min(len(step), size - done)]) for done in range(0, size, len(step))
    ]
    return b"".join(parts) + packer.flush()


# -- HTTP -----------------------------------------------------------------------------------


@dataclass
class HttpEnv:
    """What an HTTP attack needs to know, and what it saw (requests per path)."""

    address: str
    outsider: str
    hits: Counter[str] = field(default_factory=Counter)


async def read_request(reader: asyncio.StreamReader) -> tuple[str, str]:
    """(method, target) of one request; its body (Content-Length, at most 64 KiB) is read."""
    head = await asyncio.wait_for(reader.readuntil(_HEAD_END), REQUEST_DEADLINE)
    first = head.split(b"\r\n", 1)[0].decode("latin-1").split()
    length = re.search(rb"(?im)^content-length:\s*(\d{1,5})\s*$", head)
    if length:
        await asyncio.wait_for(reader.readexactly(int(length.group(1))), REQUEST_DEADLINE)
    return (first[0], first[1]) if len(first) >= 2 else ("", "")


def _head(status: str, *headers: str) -> bytes:
    return ("\r\n".join((f"HTTP/1.1 {status}", *headers)) + "\r\n\r\n").encode("latin-1")


def _whole(status: str, content_type: str, body: bytes, *headers: str) -> bytes:
    return _head(
        status, f"Content-Type: {content_type}", f"Content-Length: {len(body)}",
        "Connection: close", *headers,
    ) + body


async def _gzip_bomb(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(_whole("200 OK", "text/html", gzip_bomb(), "Content-Encoding: gzip"))
    await writer.drain()


async def _endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(_head("200 OK", "Content-Type: text/html", "Connection: close"))
    chunk = b"<p>" + b"A" * (16 * 1024 - 3)
    for _ in range(ENDLESS_MAX // len(chunk)):
        writer.write(chunk)
        await writer.drain()  # raises once the client has gone


async def _slowloris(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    answer = _head("200 OK", "Content-Type: text/html") + b"<html>" + b" " * 4096
    for byte in answer:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(SLOW_INTERVAL)


ESCAPE_SERVER = b"\x1b[2J\x1b[31mcam\xff\xfe\x1b]0;pwned\x07\x9b1m"
ESCAPE_TITLE = "\x1b[5mlog\u202ein\x1b]8;;http://x/\x1b\\".encode() + b"\xc3\x28"


async def _escapes(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    body = b"<html><head><title>" + ESCAPE_TITLE + b"</title></head></html>"
    head = b"HTTP/1.1 200 OK\r\nServer: " + ESCAPE_SERVER + b"\r\n"
    head += b"Content-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body)
    writer.write(head + body)
    await writer.drain()


async def _charset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A login page that names codecs that are no character sets (issue 12, item 1)."""
    await read_request(reader)
    body = b'<html><head><meta charset="base64"><title>NVR Login</title></head></html>'
    writer.write(_whole("200 OK", "text/html; charset=rot13", body))
    await writer.drain()


def _redirect(env: HttpEnv, outside: bool) -> Handler:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _, target = await read_request(reader)
        env.hits[target] += 1
        where = f"http://{env.outsider}/" if outside else target
        writer.write(_whole("302 Found", "text/html", b"", f"Location: {where}"))
        await writer.drain()

    return serve


async def _reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(_head("200 OK", "Content-Type: text/html", "Content-Length: 10000"))
    writer.write(b"<html><head><title>cut</title></head><body>" + b"B" * 2048)
    await writer.drain()
    sock = writer.get_extra_info("socket")
    if sock is not None:
        await _acknowledged(sock)  # the client holds what came before the reset
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _acknowledged(sock: Any, most: float = 5.0) -> None:
    """Wait until the peer's kernel has acknowledged every byte sent (Linux SIOCOUTQ: bytes
    not yet acknowledged), a condition rather than a guess of how long a loaded machine
    takes; at most `most` seconds."""
    loop = asyncio.get_running_loop()
    until = loop.time() + most
    with contextlib.suppress(OSError):
        while loop.time() < until:
            left = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, struct.pack("i", 0))
            if struct.unpack("i", left)[0] == 0:
                return
            await asyncio.sleep(0.005)


def _document(env: HttpEnv, path: str, content_type: str, body: Callable[[], bytes]) -> Handler:
    """Serve `body` at `path` (any path when empty), 404 elsewhere; count every request."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _, target = await read_request(reader)
        env.hits[target] += 1
        if path and target != path:
            writer.write(_whole("404 Not Found", "text/html", b""))
        else:
            writer.write(_whole("200 OK", content_type, body()))
        await writer.drain()

    return serve


def tcp_services(persona: HostilePersona, env: HttpEnv, http_port: int) -> dict[int, Handler]:
    """Port -> handler for what `persona` serves over TCP ({} if nothing)."""
    simple: dict[str, Handler] = {
        "http-gzip-bomb": _gzip_bomb,
        "http-endless": _endless,
        "http-slowloris": _slowloris,
        "http-escape-sequences": _escapes,
        "http-reset": _reset,
        "http-charset-rot13": _charset,
        "http-redirect-outside": _redirect(env, outside=True),
        "http-redirect-loop": _redirect(env, outside=False),
    }
    if persona.name in simple:
        return {http_port: simple[persona.name]}
    if persona.name == "ssdp-billion-laughs":
        return {UPNP_PORT: _document(env, "", "text/xml", upnp_billion_laughs)}
    if persona.name == "ssdp-location-unicode":
        served = quote(UNICODE_PATH)
        return {UPNP_PORT: _document(env, served, "text/xml", lambda: upnp_description().encode())}
    if persona.name == "onvif-billion-laughs":
        soap = "application/soap+xml; charset=utf-8"
        return {ONVIF_PORT: _document(env, "", soap, soap_billion_laughs)}
    return {}
