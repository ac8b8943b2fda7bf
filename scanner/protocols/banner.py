"""Banner probe: connect, send nothing, record what the service says unasked.

FTP (``ftp.banner``) greets with ``220`` lines; recog's ``ftp_banners`` match the text after the
reply code, so codes are removed. Telnet (``telnet.banner``) opens with option negotiation
(RFC 854/855 IAC sequences): those bytes are removed and never answered, and the text is
trimmed of CR/LF/whitespace at both ends as recog's ``telnet_banners`` expect. Any other port
gives ``tcp.banner``. Listening stops at ``BANNER_MAX`` bytes, at the end of the window, or
shortly after the service has said something and gone quiet. In a capture
(:func:`stream_reading`), the server's first segment on the service's port is its greeting.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scanner import limits
from scanner.model import Outcome
from scanner.protocols import host as kit  # the probe kit every host probe uses
from scanner.protocols.field import FieldSpec
from scanner.protocols.spec import ProtocolSpec
from scanner.protocols.stream import ServerStream, StreamReading

if TYPE_CHECKING:
    from scanner.passive.heard import Heard

IDLE_AFTER_TEXT = 0.3
"""Seconds of silence after some text that end the listening early."""
_FTP_CODE = re.compile(r"^\d{3}[ -]?")

IAC, SB, SE = 0xFF, 0xFA, 0xF0
_WITH_OPTION = frozenset((0xFB, 0xFC, 0xFD, 0xFE))  # WILL WONT DO DONT + option byte


def strip_telnet(data: bytes) -> bytes:
    """``data`` without telnet commands; IAC IAC is a literal 0xFF; cut sequences vanish."""
    out = bytearray()
    pos, size = 0, len(data)
    while pos < size:
        byte = data[pos]
        if byte != IAC:
            out.append(byte)
            pos += 1
            continue
        command = data[pos + 1] if pos + 1 < size else None
        if command == IAC:
            out.append(IAC)
            pos += 2
        elif command == SB:  # subnegotiation runs to IAC SE
            end = data.find(bytes((IAC, SE)), pos + 2)
            pos = size if end < 0 else end + 2
        elif command in _WITH_OPTION:
            pos += 3
        else:
            pos += 2
    return bytes(out)


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def banner_text(raw: bytes, field: str) -> str:
    """The value recorded for ``field`` from the raw bytes a service sent."""
    if field == "telnet.banner":
        return _text(strip_telnet(raw).replace(b"\0", b"")).strip()
    text = _text(raw).strip()
    if field == "ftp.banner":
        lines = (_FTP_CODE.sub("", line.rstrip("\r")) for line in text.split("\n"))
        return "\n".join(line for line in lines if line).strip()
    return text


async def listen(
    reader: asyncio.StreamReader, window: float, telnet: bool = False
) -> tuple[bytes, bool]:
    """Bytes sent unasked within ``window`` (bounded); True if the peer closed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + window
    buffer = bytearray()
    while len(buffer) < limits.BANNER_MAX:
        said = strip_telnet(bytes(buffer)) if telnet else buffer
        until = min(deadline, loop.time() + IDLE_AFTER_TEXT) if said.strip() else deadline
        try:
            async with asyncio.timeout_at(until):
                chunk = await reader.read(limits.BANNER_MAX - len(buffer))
        except TimeoutError:
            return bytes(buffer), False
        except ConnectionError:  # a reset after the greeting still leaves the greeting
            return bytes(buffer), True
        if not chunk:
            return bytes(buffer), True
        buffer += chunk
    return bytes(buffer), False


@dataclass(frozen=True, slots=True)
class BannerProbe:
    """``ftp`` (port 21), ``telnet`` (23) or ``banner`` (anything else)."""

    name: str = "banner"
    field: str = "tcp.banner"

    async def run(self, ctx: kit.ProbeContext, host: str, port: int) -> kit.ProbeResult:
        rec = kit.Recorder(host, port, self.name)
        telnet = self.field == "telnet.banner"
        try:
            async with await kit.connect(ctx, host, port) as conn:
                raw, _closed = await listen(conn.reader, ctx.banner_window, telnet)
        except kit.ProbeFailed as failed:
            return rec.result(failed.outcome, failed.detail)
        except OSError as exc:
            return rec.result(Outcome.ERROR, f"connection failed: {exc}")
        text = banner_text(raw, self.field)
        if not text:
            quiet = f"said nothing within {kit.seconds(ctx.banner_window)} s"
            return rec.result(Outcome.TIMEOUT, quiet)
        rec.add(self.field, text, limits.BANNER_MAX)
        detail = f"banner truncated at {limits.BANNER_MAX // limits.KIB} KiB"
        return rec.result(Outcome.OK, detail if len(raw) >= limits.BANNER_MAX else "")



def stream_reading(name: str, field: str, port: int) -> StreamReading:
    """The greeting a server sent first on ``port`` in a capture, as ``field``."""

    async def read(heard: Heard, stream: ServerStream) -> None:
        rec = kit.Recorder(stream.host, stream.port, name)
        rec.add(field, banner_text(stream.first[: limits.BANNER_MAX], field), limits.BANNER_MAX)
        if rec.items:
            heard.store(rec)

    return StreamReading(name, lambda stream: stream.port == port and bool(stream.first), read)


def _greeting(name: str, field: str, port: int) -> ProtocolSpec:
    """A service that greets on `port`: its probe there, and its first segment in a capture."""
    return ProtocolSpec(
        name, "host", (FieldSpec(field),), probes=(BannerProbe(name, field),),
        ports={name: (port,)}, streams=(stream_reading(name, field, port),),
    )


#: FTP greets on 21 (Axis, D-Link and many DVRs run an FTP server), telnet on 23 (Hikvision
#: ``192.0.0.64 login:``, Bosch, Grandstream); ``banner`` is for any port named in an override.
PROTOCOLS = (
    _greeting("ftp", "ftp.banner", 21),
    _greeting("telnet", "telnet.banner", 23),
    ProtocolSpec(
        "banner", "host", (FieldSpec("tcp.banner"),), probes=(BannerProbe("banner", "tcp.banner"),)
    ),
)
