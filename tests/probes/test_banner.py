"""Banner probe: FTP and telnet greetings, IAC stripping, silence, early stop.

Greetings are real: s0097 (recog telnet_banners, Hikvision "192.0.0.64 login:"), s0096
(recog, Grandstream GXV3674), s0018 (recog ftp_banners, D-Link DCS-2100; recog keeps the text
after the 220 code, which a server sends as "220 <text>\\r\\n").
"""

from __future__ import annotations

import asyncio
import time

from hypothesis import given
from hypothesis import strategies as st

from scanner import limits
from scanner.model import Outcome
from scanner.protocols.banner import BannerProbe, banner_text, strip_telnet
from scanner.protocols.host import ProbeResult

from .loopback import Handler, context, serve

IAC, DO, WILL, SB, SE = 0xFF, 0xFD, 0xFB, 0xFA, 0xF0
# What a busybox-style telnetd opens with: WILL ECHO, WILL SGA, DO TTYPE, a subnegotiation.
NEGOTIATION = bytes([IAC, WILL, 1, IAC, WILL, 3, IAC, DO, 24, IAC, SB, 24, 1, IAC, SE])


async def _probe(
    host: str, handler: Handler, probe: BannerProbe, window: float = 1.0
) -> tuple[ProbeResult, float]:
    served = await serve(host, handler)
    started = time.monotonic()
    result = await probe.run(context(host, banner_window=window), host, served.port)
    elapsed = time.monotonic() - started
    await asyncio.sleep(0.05)  # let the server see the hang-up
    served.close()
    return result, elapsed


def test_strip_telnet() -> None:
    """Negotiation, subnegotiation and cut sequences vanish; IAC IAC is a literal 0xFF."""
    assert strip_telnet(NEGOTIATION + b"192.0.0.64 login:") == b"192.0.0.64 login:"
    assert strip_telnet(b"a" + bytes([IAC, IAC]) + b"b") == b"a\xffb"
    assert strip_telnet(b"x" + bytes([IAC, 0xF1]) + b"y") == b"xy"  # NOP
    assert strip_telnet(b"x" + bytes([IAC, DO])) == b"x"  # cut in the middle
    assert strip_telnet(b"x" + bytes([IAC, SB, 24, 1])) == b"x"  # subnegotiation never ended


def test_telnet_banner_stripped_and_unanswered() -> None:
    """The Hikvision prompt behind IAC negotiation is recorded; the probe sends nothing back."""
    received = bytearray()
    ended: list[bool] = []

    async def telnetd(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(NEGOTIATION)
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(b"\r\n192.0.0.64 login: ")
        await writer.drain()
        try:
            while chunk := await reader.read(100):
                received.extend(chunk)
        finally:
            ended.append(True)

    result, elapsed = asyncio.run(
        _probe("127.77.4.1", telnetd, BannerProbe("telnet", "telnet.banner"), window=20)
    )
    assert [(o.field, o.value, o.probe) for o in result.observations] == [
        ("telnet.banner", "192.0.0.64 login:", "telnet")
    ]
    assert result.status.outcome is Outcome.OK
    assert ended == [True] and received == b""  # the probe hung up without saying a byte
    assert elapsed < 10  # stopped soon after the prompt, not at the 20 s window


def test_telnet_multiline_kept() -> None:
    """Inner line breaks stay; the ends are trimmed (recog's convention)."""
    raw = (
        NEGOTIATION
        + b"Grandstream GXV3674_FHD_VF    Shell Command.Copyight 2011-2014\r\nUsername:\n"
    )
    assert banner_text(raw, "telnet.banner") == (
        "Grandstream GXV3674_FHD_VF    Shell Command.Copyight 2011-2014\r\nUsername:"
    )


def test_ftp_banner_without_reply_code() -> None:
    """An FTP greeting is recorded without its 220 code, as recog's ftp_banners expect."""

    async def ftpd(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 hostname DCS-2100 FTP server ready.\r\n")
        await writer.drain()
        await reader.read()

    result, _ = asyncio.run(_probe("127.77.4.2", ftpd, BannerProbe("ftp", "ftp.banner")))
    assert [(o.field, o.value) for o in result.observations] == [
        ("ftp.banner", "hostname DCS-2100 FTP server ready.")
    ]
    multi = b"220-Axis 2100 Network Camera 2.43 Nov 04 2008 ready.\r\n220 \r\n"
    assert banner_text(multi, "ftp.banner") == "Axis 2100 Network Camera 2.43 Nov 04 2008 ready."


def test_silent_service_times_out_at_window() -> None:
    """A port that says nothing is a timeout after the banner window, with the reason."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    result, elapsed = asyncio.run(_probe("127.77.4.3", silent, BannerProbe(), window=0.3))
    assert (result.status.outcome, result.status.detail) == (
        Outcome.TIMEOUT,
        "said nothing within 0.3 s",
    )
    assert 0.25 < elapsed < 3  # the window, with a margin for a loaded machine


def test_flood_capped() -> None:
    """A service that never stops talking is cut at BANNER_MAX."""

    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            writer.write(b"A" * 1000)
            await writer.drain()

    result, _ = asyncio.run(_probe("127.77.4.4", flood, BannerProbe()))
    assert result.status.detail == "banner truncated at 4 KiB"
    assert result.observations[0].value == "A" * limits.BANNER_MAX


@given(st.binary(max_size=200))
def test_banner_text_is_total(data: bytes) -> None:
    """Any bytes give text for every banner field."""
    for field in ("ftp.banner", "telnet.banner", "tcp.banner"):
        assert isinstance(banner_text(data, field), str)
